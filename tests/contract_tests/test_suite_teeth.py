"""The contract suite has teeth: aimed at each broken server it fails, in the tests meant to catch the bug.

Each test serves the sandbox with one fault injected (broken_servers.py) on a free port and runs
the suite against it as a user would (`pytest contract_tests` with DOTS_BASE_URL, the `quick`
profile), then reads the JUnit report it wrote. A broken server meets only the tests its `Fault`
says must catch it (`caught_by`, node ids), which must fail; those same tests pass against the
unbroken sandbox, and one run of the whole suite (on two workers) stays. Each run pays for a new
process (about 4 s of imports and collection), so the selection, not the budget, is what keeps this
file fast. The run on PostgreSQL behind `--workers 2` is `nightly` (`make test-nightly`).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from tests.contract_tests.broken_servers import FAULTS, Fault, LiveServer, sandbox_app

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class SuiteRun:
    """What one run of the contract suite printed, returned and reported."""

    returncode: int
    output: str
    junit: str
    failed: list[str]
    tests: list[str]
    """Every test the JUnit report holds, as node ids."""


def run_suite(
    base_url: str, client_id: str, api_key: str, workdir: Path, *args: str, tests: Iterable[str] = ("contract_tests",)
) -> SuiteRun:
    """Run `tests` of the contract suite (node ids or their prefixes, relative to the repository; all of it by
    default) with the quick profile and more pytest `args` against `base_url`, as `make contract` would."""
    junit = workdir / "contract-junit.xml"
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "CONTRACT_"))}
    env.update(DOTS_BASE_URL=base_url, DOTS_CLIENT_ID=client_id, DOTS_API_KEY=api_key, CONTRACT_PROFILE="quick")
    # Run from `workdir` so Hypothesis' example database of broken servers stays out of the repository.
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *[str(REPO_ROOT / test) for test in dict.fromkeys(tests)],
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *args,
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    report = junit.read_text(encoding="utf-8")
    cases = list(ET.fromstring(report).iter("testcase"))  # noqa: S314 (our own report)
    tests = [
        f"contract_tests/{case.get('classname', '').removeprefix('contract_tests.')}.py::{case.get('name')}"
        for case in cases
    ]
    failed = [
        test
        for test, case in zip(tests, cases, strict=True)
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, report, failed, tests)


def _credentials() -> tuple[str, str]:
    return f"teeth-{secrets.token_hex(4)}", secrets.token_urlsafe(24)


# The contract tests that never reach the server (MockTransport only): a server cannot change their outcome.
OFFLINE_TESTS = "contract_tests/test_client_contract.py"


@dataclasses.dataclass
class FaultRun:
    """The suite's run against one broken server, with that server's address and credentials."""

    base_url: str
    client_id: str
    api_key: str = dataclasses.field(repr=False)
    run: SuiteRun


@pytest.fixture(scope="module")
def run_against(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Fault], FaultRun]:
    """Run the tests that must catch a fault against a server with it, once per fault for the whole module."""
    runs: dict[str, FaultRun] = {}

    def run(fault: Fault) -> FaultRun:
        if fault.name not in runs:
            client_id, api_key = _credentials()
            workdir = tmp_path_factory.mktemp(f"teeth-{fault.name}")
            with LiveServer(sandbox_app(client_id, api_key, fault)) as server:
                narrow = ("-k", fault.cases) if fault.cases else ()
                suite = run_suite(server.base_url, client_id, api_key, workdir, *narrow, tests=fault.caught_by)
            runs[fault.name] = FaultRun(server.base_url, client_id, api_key, suite)
        return runs[fault.name]

    return run


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_suite_fails_on_broken_server(fault: Fault, run_against: Callable[[Fault], FaultRun]) -> None:
    """Only the tests meant to catch the fault run; the suite exits 1, each of them fails, no secret is shown."""
    faulty = run_against(fault)
    run = faulty.run
    assert run.returncode == 1, run.output[-3000:]
    assert run.tests, run.output[-3000:]
    assert all(test.startswith(fault.caught_by) for test in run.tests), run.tests  # the selection held
    for expected in fault.caught_by:
        assert any(name.startswith(expected) for name in run.failed), (expected, run.failed, run.output[-3000:])
    summary = run.output[run.output.index("contract suite summary") :]
    assert f"FAILED {fault.caught_by[0]}" in summary
    assert fault.evidence in summary, summary
    token = base64.b64encode(f"{faulty.client_id}:{faulty.api_key}".encode()).decode()
    for text in (run.output, run.junit):
        assert faulty.api_key not in text
        assert token not in text
        assert faulty.client_id + ":" not in text
        assert "pi_secret_" not in text  # create's client_secret: shown once, never in reports


def test_suite_on_workers_reports_once_for_all(tmp_path: Path) -> None:
    """On two xdist workers: one seed, one summary naming the fault with its counts, one JUnit of every test."""
    client_id, api_key = _credentials()
    fault = next(fault for fault in FAULTS if fault.name == "confirm-changes-amount")
    # The server contract's file (every operation's fuzzing, so each worker's cases are counted) and the test
    # that catches the fault: what the workers share is the same for any selection, and the whole suite's run
    # on two workers is `make test`'s last step.
    tests = ("contract_tests/test_server_contract.py", *fault.caught_by)
    with LiveServer(sandbox_app(client_id, api_key, fault)) as server:
        run = run_suite(server.base_url, client_id, api_key, tmp_path, "-n", "2", tests=tests)
    assert run.returncode == 1, run.output[-3000:]
    assert run.output.count("contract seed: ") == 1
    assert "not the same interleaving" in run.output
    assert run.output.count("contract suite summary") == 1
    summary = run.output[run.output.index("contract suite summary") :]
    assert f"FAILED {fault.caught_by[0]}" in summary
    assert fault.evidence in summary
    # Every worker's schemathesis cases are counted, for every operation.
    counts = next(line for line in summary.splitlines() if line.startswith("schemathesis cases per operation"))
    assert counts.count("/v2/payment-intents") == 3, counts
    collected = re.search(r"2 workers \[(\d+) items?\]", run.output)
    assert collected, run.output[-3000:]
    assert len(run.tests) == len(set(run.tests)) == int(collected.group(1)) > len(tests), run.tests
    assert any(test.startswith(fault.caught_by[0]) for test in run.failed)
    for text in (run.output, run.junit):
        assert api_key not in text
        assert base64.b64encode(f"{client_id}:{api_key}".encode()).decode() not in text


def test_suite_reports_a_curl_command_without_credentials(run_against: Callable[[Fault], FaultRun]) -> None:
    """A schemathesis failure's summary carries a curl command that takes the credentials from the environment."""
    faulty = run_against(next(fault for fault in FAULTS if fault.name == "amount-as-string"))
    reproduce = [line for line in faulty.run.output.splitlines() if line.strip().startswith("reproduce: curl")]
    assert reproduce, faulty.run.output[-3000:]
    assert all('-u "$DOTS_CLIENT_ID:$DOTS_API_KEY"' in line for line in reproduce), reproduce
    assert all(faulty.base_url in line for line in reproduce), reproduce


def test_suite_passes_on_the_sandbox(tmp_path: Path) -> None:
    """The tests that catch the faults above pass against the unbroken sandbox: their failures are the faults'
    doing (the whole suite's own run against the sandbox is `make test`'s last step)."""
    client_id, api_key = _credentials()
    caught_by = [node_id for fault in FAULTS for node_id in fault.caught_by]
    with LiveServer(sandbox_app(client_id, api_key)) as server:
        run = run_suite(server.base_url, client_id, api_key, tmp_path, tests=caught_by)
    assert run.returncode == 0, run.output[-5000:]
    assert run.failed == []
    assert {node_id for node_id in caught_by if any(test.startswith(node_id) for test in run.tests)} == set(caught_by)
    assert "every contract test passed" in run.output


@pytest.mark.nightly
def test_suite_passes_on_two_workers_sharing_postgresql(
    start_sandbox: Callable[..., LiveSandbox], postgres_url: str, tmp_path: Path
) -> None:
    """The suite passes against `python -m dots_sandbox --workers 2` on one PostgreSQL database (the shared
    service setup): two processes, one port, one store."""
    client_id, api_key = _credentials()
    sandbox = start_sandbox(postgres_url, env={"DOTS_CLIENT_ID": client_id, "DOTS_API_KEY": api_key},
                            args=("--workers", "2"))  # fmt: skip
    assert ", 2 workers)" in sandbox.output
    run = run_suite(sandbox.url, client_id, api_key, tmp_path)
    assert run.returncode == 0, run.output[-5000:]
    assert run.failed == []
    assert "every contract test passed" in run.output


def test_suite_passes_on_a_server_whose_intents_settle_later(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Against a correct server where every confirm ends `processing` and settles at once in the background
    (so retrieves race the settlement), the suite's tests that reach a server pass: its properties allow the
    spec's later outcomes."""
    monkeypatch.setattr("dots_sandbox.lifecycle.outcome", lambda payment_method_id: "processing")
    client_id, api_key = _credentials()
    settings = Settings(db=":memory:", client_id=client_id, api_key=api_key, settlement_seconds=0.0)
    with LiveServer(build_sandbox(settings).app) as server:
        run = run_suite(server.base_url, client_id, api_key, tmp_path, f"--ignore={REPO_ROOT / OFFLINE_TESTS}")
        with httpx.Client(base_url=server.base_url, auth=(client_id, api_key)) as client:
            events = client.get("/sandbox/webhook-events").json()["data"]
    assert run.returncode == 0, run.output[-5000:]
    assert run.failed == []
    assert run.tests
    assert not any(test.startswith(OFFLINE_TESTS) for test in run.tests)
    assert "succeeded" in {event["status"] for event in events}  # intents did settle during the run
