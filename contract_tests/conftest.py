"""pytest wiring of the contract suite: profile, seed, target, redaction and the closing summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest

from . import profiles, session, sharding
from .reporting import Failure, failure_from_text
from .target import EmbeddedSandbox, Target, preflight


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Decide the run (before Hypothesis' own plugin reads --hypothesis-seed, and before collection)."""
    try:
        run = session.start(config.getoption("hypothesis_seed", None))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    # Every Hypothesis test of the run, schemathesis' included, draws from this one seed; xdist hands
    # the controller's option values, this seed among them, to every worker before it gets here.
    config.option.hypothesis_seed = str(run.seed)
    run.workers = _worker_count(config)
    profiles.load(run.budget)
    config.pluginmanager.register(_Reporter(run, worker=hasattr(config, "workerinput")), "contract-reporter")


def _worker_count(config: pytest.Config) -> int:
    worker_input: dict[str, Any] | None = getattr(config, "workerinput", None)
    if worker_input is not None:
        return int(worker_input["workercount"])
    if getattr(config.option, "dist", "no") == "no":
        return 1
    return int(getattr(config.option, "numprocesses", None) or 1)


# What a worker sends its controller at the end (xdist's workeroutput): its cases and its target.
_CASES_KEY = "contract_cases"
_TARGET_KEY = "contract_target"
# An attribute of failed reports: TestReport keeps extra attributes when xdist sends it to the controller.
_FAILURE_KEY = "contract_failure"


def pytest_itemcollected(item: pytest.Item) -> None:
    """Give every item a node id of its own.

    schemathesis' items share one node id across operations: naming the operation lets the terminal,
    the JUnit report and the summary say which one failed, lets `--deselect` pick one, and lets
    pytest-xdist match each report with its item.
    """
    if item.parent is not None and not item.nodeid.endswith("::" + item.name):
        # What pytest gives any parametrized item. schemathesis 4.32 sets `_nodeid`, which pytest 9
        # no longer reads (it keeps the id in `_id`).
        item._id = item.parent.id.child(item.name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep this run's shard (CONTRACT_SHARD); with workers, start the costliest tests first.

    Every xdist worker collects, and so shards and orders, the same way: xdist checks that they agree.
    """
    run = session.current()
    if run.shard is None and run.workers == 1:
        return
    costs = sharding.Recording.load().costs([item.nodeid for item in items], run.budget)
    keep = set(range(len(items)))
    if run.shard is not None:
        keep = set(sharding.partition(costs, run.shard.count)[run.shard.index - 1])
        deselected = [item for index, item in enumerate(items) if index not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
    order = sorted(keep, key=lambda index: -costs[index]) if run.workers > 1 else sorted(keep)
    items[:] = [items[index] for index in order]


class _Reporter:
    """Prints the run's settings first and its summary last; redacts every report before it is written.

    Under pytest-xdist each worker redacts its reports and attaches what the summary needs before
    they travel, and sends its case counts and target at the end; the controller, which alone prints and writes
    the JUnit report, gathers both, so one summary and one report cover every worker.
    """

    def __init__(self, run: session.Session, *, worker: bool = False) -> None:
        self.run = run
        self.worker = worker
        self.worker_targets: list[dict[str, Any]] = []

    def pytest_report_header(self) -> list[str]:
        target = self.run.env_target.description if self.run.env_target else "the embedded sandbox (fresh database)"
        if self.run.workers > 1 and self.run.env_target is None:
            target = "the embedded sandbox, one per worker (fresh databases)"
        lines = [f"contract suite: profile {self.run.budget.name} ({profiles.ENV_VAR}), target {target}"]
        if self.run.workers > 1:
            lines.append(f"contract workers: {self.run.workers} processes (CONTRACT_WORKERS)")
        if self.run.shard is not None:
            lines.append(f"contract shard: {self.run.shard} ({sharding.ENV_VAR}), balanced by recorded durations")
        return [*lines, self.run.seed_line()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """(xdist controller) Add a finished worker's case counts and target to the summary."""
        output: dict[str, Any] = getattr(node, "workeroutput", {})
        for label, count in output.get(_CASES_KEY, {}).items():
            self.run.summary.cases[label] += count
        if output.get(_TARGET_KEY):
            self.worker_targets.append(output[_TARGET_KEY])

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """(xdist worker) Send the case counts and the target to the controller."""
        if self.worker:
            target = self.run.target
            output: dict[str, Any] = session.config.workeroutput  # type: ignore[attr-defined]
            output[_CASES_KEY] = dict(self.run.summary.cases)
            output[_TARGET_KEY] = (
                None if target is None else {"description": target.description, "embedded": target.embedded}
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        # Take the summary's view before redacting: redaction flattens the report to text, losing
        # its crash message. It rides on the report (plain data), so it reaches an xdist controller.
        if report.failed:
            setattr(report, _FAILURE_KEY, self._failure(report))
        self._redact(report)
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.failed:
            setattr(report, _FAILURE_KEY, self._failure(report))
        self._redact(report)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record a failure: this process's, or (on an xdist controller) any worker's."""
        if report.failed:
            self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._record(report)

    @pytest.hookimpl(trylast=True)
    def pytest_exception_interact(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        """Redact again: schemathesis rewrites a failing report here, after makereport, printing response
        bodies (a create's client_secret among them) that it does not sanitize."""
        self._redact(report)

    def _redact(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        redact = self.run.redactor
        if report.longrepr is not None:
            text = str(report.longrepr)
            if redact(text) != text:
                report.longrepr = redact(text)
        report.sections = [(title, redact(content)) for title, content in report.sections]

    def _target(self) -> tuple[str, bool]:
        """The summary's description of the target(s), and whether they were embedded sandboxes."""
        if self.run.target is not None:
            return self.run.target.description, self.run.target.embedded
        if not self.worker_targets:
            return "(no server was started)", False
        if self.run.env_target is not None:
            return self.run.env_target.description, False
        return f"the embedded sandbox, one per worker that needed one ({len(self.worker_targets)})", True

    def _failure(self, report: pytest.TestReport | pytest.CollectReport) -> dict[str, Any]:
        redact = self.run.redactor
        text = str(report.longrepr)
        crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None) or text.strip()
        return dataclasses.asdict(failure_from_text(report.nodeid, redact(crash), redact(text)))

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        found = getattr(report, _FAILURE_KEY, None)
        # A report without one was made by xdist itself (a worker crashed): its text is all there is.
        failure = Failure(**found) if isinstance(found, dict) else Failure(**self._failure(report))
        self.run.summary.failures.append(failure)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
        if self.worker:
            return
        terminalreporter.write_sep("=", "contract suite summary")
        target, embedded = self._target()
        terminalreporter.write_line(f"profile {self.run.budget.name}, seed {self.run.seed}, target {target}")
        for line in self.run.summary.lines():
            terminalreporter.write_line(line)
        if self.run.summary.failures:
            if embedded:
                terminalreporter.write_line(
                    "    (the embedded sandbox stopped with the run: to send these again, `make serve` and use "
                    "its URL and the sandbox credentials in DOTS_CLIENT_ID / DOTS_API_KEY)"
                )
            terminalreporter.write_line(f"replay this run: {self.run.replay_hint()}")
            if self.run.workers > 1:
                terminalreporter.write_line(f"    ({self.run.interleaving_note()})")
        elif exitstatus == pytest.ExitCode.OK:
            terminalreporter.write_line("every contract test passed")
        else:
            terminalreporter.write_line(f"the run did not complete (pytest exit status {int(exitstatus)})")


@pytest.fixture(scope="session")
def contract_run() -> session.Session:
    """The run's settings (budget, seed, credentials, summary)."""
    return session.current()


@pytest.fixture(scope="session")
def target(contract_run: session.Session) -> Iterator[Target]:
    """The server under test: DOTS_BASE_URL, or the embedded sandbox started for the session."""
    if contract_run.env_target is not None:
        problem = preflight(contract_run.env_target)
        if problem is not None:
            pytest.exit(f"contract suite: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
        contract_run.target = contract_run.env_target
        yield contract_run.env_target
        return
    with EmbeddedSandbox(client_id=contract_run.client_id, api_key=contract_run.api_key) as sandbox:
        contract_run.target = sandbox
        yield sandbox


@pytest.fixture
def fresh_target(contract_run: session.Session, target: Target) -> Iterator[Target]:
    """A target with no state from other tests: a new embedded sandbox, or DOTS_BASE_URL as it is."""
    if not target.embedded:
        yield target
        return
    with EmbeddedSandbox(client_id=contract_run.client_id, api_key=contract_run.api_key) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[httpx.Client]:
    """A raw HTTP client for the target, authenticated with its credentials."""
    with httpx.Client(base_url=target.base_url + "/", auth=target.auth, timeout=30.0) as client:
        yield client
