"""pytest wiring of the contract suite: profile, seed, target, redaction and the closing summary."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import httpx
import pytest

from contract_tests import profiles, session
from contract_tests.reporting import failure_from_text
from contract_tests.target import EmbeddedSandbox, Target, preflight


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Decide the run (before Hypothesis' own plugin reads --hypothesis-seed, and before collection)."""
    try:
        run = session.start(config.getoption("hypothesis_seed", None))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    # Every Hypothesis test of the run, schemathesis' included, draws from this one seed.
    config.option.hypothesis_seed = str(run.seed)
    profiles.load(run.budget)
    config.pluginmanager.register(_Reporter(run), "contract-reporter")


class _Reporter:
    """Prints the run's settings first and its summary last; redacts every report before it is written."""

    def __init__(self, run: session.Session) -> None:
        self.run = run

    def pytest_report_header(self) -> list[str]:
        target = self.run.env_target.description if self.run.env_target else "the embedded sandbox (fresh database)"
        return [
            f"contract suite: profile {self.run.budget.name} ({profiles.ENV_VAR}), target {target}",
            f"contract seed: {self.run.seed}; replay: {self.run.replay_hint()}",
        ]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        # schemathesis' items share one node id across operations: name the operation, so the
        # terminal, the JUnit report and the summary say which one failed.
        if not report.nodeid.endswith("::" + item.name):
            report.nodeid = report.nodeid.rsplit("::", 1)[0] + "::" + item.name
        # Record before redacting: redaction flattens the report to text, losing its crash message.
        if report.failed:
            self._record(report)
        self._redact(report)
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.failed:
            self._record(report)
        self._redact(report)
        return report

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

    def _record(self, report: pytest.TestReport | pytest.CollectReport, name: str | None = None) -> None:
        redact = self.run.redactor
        text = str(report.longrepr)
        crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None) or text.strip()
        self.run.summary.failures.append(failure_from_text(name or report.nodeid, redact(crash), redact(text)))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
        terminalreporter.write_sep("=", "contract suite summary")
        target = self.run.target.description if self.run.target else "(no server was started)"
        terminalreporter.write_line(f"profile {self.run.budget.name}, seed {self.run.seed}, target {target}")
        for line in self.run.summary.lines():
            terminalreporter.write_line(line)
        if self.run.summary.failures:
            if self.run.target is not None and self.run.target.embedded:
                terminalreporter.write_line(
                    "    (the embedded sandbox stopped with the run: to send these again, `make serve` and use "
                    "its URL and the sandbox credentials in DOTS_CLIENT_ID / DOTS_API_KEY)"
                )
            terminalreporter.write_line(f"replay this run: {self.run.replay_hint()}")
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
