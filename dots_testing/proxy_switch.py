"""`pytest --dots-proxy` (or `DOTS_TESTING_PROXY=1`): the validating proxy in front of the kit's sandbox.

With the switch on, the session's sandbox is reached through `dots-contract proxy` (the
`dots-contract` wheel's command, started as a process; nothing of it is imported here): `dots`,
`async_dots` and `dots_sandbox.base_url` point at the proxy, so every exchange the tests and the
code under test have with the sandbox is judged against openapi.yaml. The proxy forwards every
request, one that breaks the spec included (the sandbox's journal shows what the code really
sent), and such a request fails the session (`--fail-request-invalid`); an answer faulted on
purpose (`fail_next`) is recorded as "fault injected, not judged", and a connection the kit drops
stays dropped. Before each test the plugin names it to the proxy (`--tests-on-stdin`), so each
violation line names the test that sent it.

The verdict is one test report, `dots-contract-proxy::verdict`: passed, or failed with the
proxy's violation lines, its summary line (`contract proxy: N exchanges (...)`) and, when nothing
was judged, the line that says so; it is in the terminal's summary and the JUnit report like any
test, and a failed verdict makes the session fail. Under pytest-xdist each worker runs a proxy of
its own, and the controller reports one verdict from all of theirs. The proxy starts with the
first test that uses the sandbox: a session that never does has no verdict.

Without the `dots-contract` command (next to this Python, or on PATH) the session stops at once
with one line naming the wheel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dots_testing.kit import TestSandbox

OPTION = "--dots-proxy"
ENV_VAR = "DOTS_TESTING_PROXY"
COMMAND = "dots-contract"
VERDICT_ID = "dots-contract-proxy::verdict"
_WORKER_KEY = "dots_contract_proxy"
_TRUE = ("1", "true", "yes", "on")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--dots-proxy`."""
    parser.getgroup("dots").addoption(
        OPTION,
        action="store_true",
        help=f"judge the kit's traffic with `{COMMAND} proxy` (also {ENV_VAR}=1; needs the dots-contract wheel)",
    )


def enabled(config: pytest.Config) -> bool:
    """Whether the switch is on: `--dots-proxy`, or DOTS_TESTING_PROXY set to 1 (true, yes, on)."""
    return bool(config.getoption("dots_proxy", False)) or os.environ.get(ENV_VAR, "").strip().lower() in _TRUE


def command() -> str | None:
    """The `dots-contract` executable: beside this interpreter (its venv), else on PATH; None when absent."""
    beside = Path(sys.executable).parent / COMMAND
    return str(beside) if beside.is_file() else shutil.which(COMMAND)


def pytest_configure(config: pytest.Config) -> None:
    """With the switch on, check the command exists (a one-line usage error otherwise) and register the switch."""
    if not enabled(config):
        return
    executable = command()
    if executable is None:
        raise pytest.UsageError(
            f"{OPTION} / {ENV_VAR}=1 needs the dots-contract wheel (its `{COMMAND}` command): pip install dots-contract"
        )
    config.pluginmanager.register(Switch(config, executable), "dots-contract-proxy")


def _switch(config: pytest.Config) -> Switch | None:
    plugin = config.pluginmanager.get_plugin("dots-contract-proxy")
    return plugin if isinstance(plugin, Switch) else None


@contextlib.contextmanager
def through_proxy(config: pytest.Config, sandbox: TestSandbox) -> Iterator[None]:
    """While the block runs, `sandbox.base_url` is the proxy's (switch on); else nothing changes."""
    switch = _switch(config)
    if switch is None:
        yield
        return
    upstream = sandbox.base_url
    sandbox.base_url = switch.start(upstream)
    try:
        yield
    finally:
        sandbox.base_url = upstream
        switch.stop()


class _Proxy:
    """One `dots-contract proxy` process: its URL, what it said on stderr, and its test-naming channel."""

    def __init__(self, executable: str, upstream: str) -> None:
        argv = [executable, "proxy", "--upstream", upstream, "--tests-on-stdin", "--fail-request-invalid"]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._collect, args=(self.process.stderr,), daemon=True)
        self._reader.start()
        assert self.process.stdout is not None
        from dots_sandbox.front.listener import url_of  # noqa: PLC0415 (loading the plugin imports nothing of ours)

        first = self.process.stdout.readline()
        url = url_of(first) if first.startswith("contract proxy listening on ") else None
        if url is None:
            self.process.kill()
            self.process.wait()
            self._reader.join(timeout=5)
            raise RuntimeError(f"{COMMAND} proxy did not start: {first.strip()} {' '.join(self.stderr)[-2000:]}")
        self.url = url

    def _collect(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr.append(line.rstrip("\n"))

    def name_test(self, nodeid: str) -> None:
        """Tell the proxy which test runs now; return once it applied it (its acknowledgement on stdout)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(nodeid.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        self.process.stdout.readline()

    def stop(self) -> tuple[int, list[str]]:
        """SIGTERM, then its exit status and the lines a verdict shows (violations, problems, summary)."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        shown = ("VIOLATION ", "request-invalid ", "NOT JUDGED ", "contract proxy: ")
        return status, [line for line in self.stderr if line.startswith(shown)]


class Switch:
    """The switch of one pytest process: starts the proxy with the sandbox, names tests, reports one verdict."""

    def __init__(self, config: pytest.Config, executable: str) -> None:
        self.config = config
        self.executable = executable
        self.proxy: _Proxy | None = None
        self.current = ""
        # (exit status, lines) of each proxy: this process's, or under xdist, every worker's.
        self.results: list[tuple[int, list[str]]] = []

    def start(self, upstream: str) -> str:
        """Start the proxy in front of `upstream`; its base URL."""
        self.proxy = _Proxy(self.executable, upstream)
        if self.current:
            self.proxy.name_test(self.current)
        return self.proxy.url

    def stop(self) -> None:
        """Stop the proxy and keep its result."""
        if self.proxy is not None:
            self.results.append(self.proxy.stop())
            self.proxy = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Name the test to the proxy before its fixtures run (they may send requests too)."""
        self.current = item.nodeid
        if self.proxy is not None:
            self.proxy.name_test(item.nodeid)

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """The controller under xdist: keep a worker's proxy result."""
        result = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if result is not None:
            self.results.append((int(result[0]), list(result[1])))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """One verdict: a worker hands its result to the controller; the controller (or a lone process) reports it."""
        self.stop()
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            if self.results:
                workeroutput[_WORKER_KEY] = self.results[0]
            return
        if not self.results:
            return
        failed = any(status != 0 for status, _ in self.results)
        lines = [line for _, found in self.results for line in found]
        location = ("dots-contract-proxy", None, "verdict")
        verdict = pytest.TestReport(
            VERDICT_ID,
            location,
            {},
            "failed" if failed else "passed",
            "\n".join(lines) if failed else None,
            "call",
        )
        self.config.hook.pytest_runtest_logreport(report=verdict)
        # A teardown report closes the verdict's test case, as it closes any test's (JUnit writes it then).
        closing = pytest.TestReport(VERDICT_ID, location, {}, "passed", None, "teardown")
        self.config.hook.pytest_runtest_logreport(report=closing)
        if failed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The proxies' summary lines at the end of the session."""
        lines = [line for _, found in self.results for line in found if line.startswith("contract proxy: ")]
        if lines:
            terminalreporter.write_sep("-", "dots contract proxy")
            for line in lines:
                terminalreporter.write_line(line)
