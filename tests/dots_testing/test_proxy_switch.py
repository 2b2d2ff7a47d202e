"""`pytest --dots-proxy`: the switch's own failures; the judged run itself is in test_installed.py (from the wheels)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from dots_testing import proxy_switch


def test_without_the_dots_contract_command_the_session_stops_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOTS_TESTING_PROXY=1 (as --dots-proxy) without the dots-contract wheel: one usage-error line naming it."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no dots-contract there, nor beside this interpreter
    monkeypatch.setenv(proxy_switch.ENV_VAR, "1")
    config = cast(pytest.Config, SimpleNamespace(getoption=lambda name, default=None: default))
    with pytest.raises(pytest.UsageError) as refused:
        proxy_switch.pytest_configure(config)
    assert "needs the dots-contract wheel" in str(refused.value)
    assert "\n" not in str(refused.value)
    monkeypatch.setenv(proxy_switch.ENV_VAR, "0")
    proxy_switch.pytest_configure(config)  # switched off: nothing asked of the wheel


class _Hooks:
    """The one hook the switch calls, recording the reports it is given."""

    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)


def test_under_xdist_each_workers_proxy_reaches_one_verdict_in_the_controller() -> None:
    """A worker hands its proxy's result over; the controller reports one verdict from all, failing the session."""
    worker = proxy_switch.Switch(cast(pytest.Config, SimpleNamespace(workeroutput={})), "dots-contract")
    worker.results.append((1, ["VIOLATION confirm_payment_intent ... [test t.py::a]", "contract proxy: 3 exchanges"]))
    worker.pytest_sessionfinish(cast(pytest.Session, SimpleNamespace(exitstatus=0)))
    handed = cast(dict[str, object], worker.config.workeroutput)  # type: ignore[attr-defined]
    hooks = _Hooks()
    controller = proxy_switch.Switch(cast(pytest.Config, SimpleNamespace(hook=hooks)), "dots-contract")
    controller.pytest_testnodedown(SimpleNamespace(workeroutput=handed), None)
    controller.pytest_testnodedown(
        SimpleNamespace(workeroutput={"dots_contract_proxy": (0, ["contract proxy: 2 e"])}), None
    )
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    controller.pytest_sessionfinish(cast(pytest.Session, session))
    verdict, closing = hooks.reports
    assert (verdict.nodeid, verdict.outcome, closing.when) == (proxy_switch.VERDICT_ID, "failed", "teardown")
    assert str(verdict.longrepr).splitlines() == [
        "VIOLATION confirm_payment_intent ... [test t.py::a]",
        "contract proxy: 3 exchanges",
        "contract proxy: 2 e",
    ]
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
