"""`python -m contract_tests.proxy`: real traffic to the sandbox judged clean, misbehaving upstreams reported."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.proxy import cli
from contract_tests.proxy.reports import JUNIT_NAME, NDJSON_NAME, REDACTED
from contract_tests.target import REPO_ROOT, EmbeddedSandbox, Target
from tests.contract_tests.proxy import scripted_client
from tests.contract_tests.proxy.fake_dots import API_KEY, CLIENT_ID, FakeDots
from tests.contract_tests.proxy.harness import InProcessProxy, RawUpstream

SCRIPT = Path(scripted_client.__file__)
# Each misbehaviour of an upstream, and the check or rule that must report it.
CAUGHT_BY = {
    "second-confirm-200": "second-confirm-refused",
    "other-payment-method": "confirm-answer",
    "no-metadata": "create-answer",
    "no-id": "response_schema_conformance",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    """One sandbox process for the module, with failures on demand enabled."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SANDBOX_FAULTS", "1")
        with EmbeddedSandbox() as target:
            yield target


def _proxy(upstream: str, *options: str, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "contract_tests.proxy", "--upstream", upstream, *options]


def _env(client_id: str, api_key: str) -> dict[str, str]:
    return {**os.environ, "DOTS_CLIENT_ID": client_id, "DOTS_API_KEY": api_key, "PYTHONPATH": str(REPO_ROOT)}


def _lines(report: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (report / NDJSON_NAME).read_text().splitlines()]


def _redacted(body: str) -> Any:
    data = json.loads(body)
    return {**data, "client_secret": REDACTED} if isinstance(data, dict) and "client_secret" in data else data


def test_scripted_traffic_to_the_sandbox_reports_no_violation(sandbox: Target, tmp_path: Path) -> None:
    """Good traffic (and a bad body) through the proxy: exit 0, answers as the sandbox sent them, no secret kept."""
    out, report = tmp_path / "answers.json", tmp_path / "report"
    command = [sys.executable, str(SCRIPT), str(out)]
    run = subprocess.run(
        [*_proxy(sandbox.base_url, "--report", str(report)), "--", *command],
        env=_env(sandbox.client_id, sandbox.api_key),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "VIOLATION" not in run.stderr
    lines = _lines(report)
    assert [line["kind"] for line in lines] == ["conforms"] * 6 + ["request-invalid"]
    assert [line["status"] for line in lines] == [200, 200, 200, 409, 404, 401, 400]
    received = json.loads(out.read_text())
    assert [(line["status"], line["response"]["body"]) for line in lines] == [
        (status, _redacted(body)) for status, body in received
    ]
    secret = json.loads(received[0][1])["client_secret"]
    for name in (NDJSON_NAME, JUNIT_NAME):
        text = (report / name).read_text()
        assert sandbox.api_key not in text
        assert sandbox.authorization.removeprefix("Basic ") not in text
        assert secret not in text
    assert secret not in run.stderr


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_a_misbehaving_upstream_is_reported(fault: str, caplog: pytest.LogCaptureFixture) -> None:
    """The same traffic to an upstream with one misbehaviour: a violation of the rule that covers it, logged."""
    caplog.set_level(logging.INFO, "contract_tests.proxy")
    with FakeDots(fault) as dots, InProcessProxy(["--upstream", dots.url]) as proxy:
        scripted_client.send(proxy.url, (CLIENT_ID, API_KEY))
    assert proxy.reports.failed
    failed = {check for (_, check), (_, violations) in proxy.reports.cases.items() if violations}
    assert CAUGHT_BY[fault] in failed
    assert any(record.getMessage().startswith("VIOLATION ") for record in caplog.records)


def test_the_conforming_fake_reports_nothing() -> None:
    """The fake without a fault breaks no rule: the faults above are what the proxy reports."""
    with FakeDots() as dots, InProcessProxy(["--upstream", dots.url]) as proxy:
        scripted_client.send(proxy.url, (CLIENT_ID, API_KEY))
    assert not proxy.reports.failed
    assert proxy.reports.counts["conforms"] == 6


def test_a_violation_or_a_failing_command_makes_the_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A violation exits 1 though the command passed; a command that fails gives its own status."""
    for name, value in _env(CLIENT_ID, API_KEY).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    with FakeDots("no-id") as dots:
        args, command = cli.parse(["--upstream", dots.url, "--", sys.executable, str(SCRIPT), "answers.json"])
        violated = asyncio.run(cli.run(args, command))
        args, command = cli.parse(["--upstream", dots.url, "--", sys.executable, "-c", "raise SystemExit(3)"])
        failed = asyncio.run(cli.run(args, command))
    assert violated == 1
    assert len(json.loads((tmp_path / "answers.json").read_text())) == 7  # the command ran, here, through the proxy
    assert failed == 3


def _first_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first `count` lines of the process's stdout; kills it and fails if they do not come within 30 s."""
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.extend(stdout.readline() for _ in range(count)), daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():
        process.kill()  # or leaving the Popen block would wait for it forever
        raise AssertionError(f"no {count} lines on stdout within 30 s")
    return lines


def test_sigterm_writes_the_reports_and_strict_refuses_a_bad_request(tmp_path: Path) -> None:
    """The listening line first on stdout; --strict answers a bad body itself; SIGTERM writes the reports, exit 1."""
    report = tmp_path / "report"
    with (
        FakeDots() as dots,
        subprocess.Popen(
            [*_proxy(dots.url, "--strict", "--report", str(report))],
            env=_env(CLIENT_ID, API_KEY),
            stdout=subprocess.PIPE,
            text=True,
        ) as process,
    ):
        first, second = _first_lines(process, 2)  # every server command's first stdout line: `<tool> listening on URL`
        url = first.removeprefix("contract proxy listening on ").rstrip("\n")
        assert (first, second) == (f"contract proxy listening on {url}\n", f"upstream: {dots.url}\n")
        assert url.startswith("http://127.0.0.1:")
        refused = httpx.post(f"{url}/v2/payment-intents", json={"amount": "ten"}, auth=(CLIENT_ID, API_KEY))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 1
    assert refused.status_code == 400
    assert refused.json()["code"] == "request-invalid"
    assert "amount" in refused.json()["error"]
    assert dots.requests == []
    (line,) = _lines(report)
    assert (line["kind"], line["outcome"]) == ("request-invalid", "refused")
    assert 'failures="1"' in (report / JUNIT_NAME).read_text()


def test_sandbox_controls_and_failures_on_demand_are_not_judged(sandbox: Target) -> None:
    """/api/sandbox/... and an answer with Preference-Applied: dots-fault=... are recorded as not judged."""
    with (
        InProcessProxy(["--upstream", sandbox.base_url]) as proxy,
        httpx.Client(base_url=proxy.url, auth=sandbox.auth) as http,
    ):
        http.get("/sandbox/webhook-events")
        faulty = http.get(
            "/v2/payment-intents/00000000-0000-4000-8000-000000000000",
            headers={"Prefer": "dots-fault=refuse; status=500"},
        )
    assert faulty.status_code == 500
    assert proxy.reports.counts["not-judged"] == 2
    assert not proxy.reports.failed


def test_a_port_that_is_taken_is_a_clean_exit_2() -> None:
    """--port on a port something else listens on: a one-line error and status 2, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        args, command = cli.parse(["--upstream", "http://127.0.0.1:9/api", "--port", str(taken.getsockname()[1])])
        assert asyncio.run(cli.run(args, command)) == 2


@pytest.mark.parametrize("option", ["--port", "--webhook-port"])
def test_a_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str], option: str) -> None:
    """A port outside 0-65535 is exit 2 naming it, never another port (99999 was served as 34463)."""
    with pytest.raises(SystemExit) as exited:
        cli.parse(["--upstream", "http://127.0.0.1:9/api", option, "99999"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"python -m contract_tests.proxy: error: argument {option}: port must be 0 to 65535, not '99999'"
    )


def test_an_upstream_that_accepts_a_request_breaking_the_spec_is_reported() -> None:
    """A bad body is the caller's (request-invalid), but a 200 to it is the upstream's violation."""
    intent = {"id": str(uuid.uuid4()), "amount": 5, "currency": "usd", "status": "initialized", "metadata": {}}
    body = json.dumps(intent).encode()
    accepting = RawUpstream(
        lambda head, sent: [
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        ]
    )
    with accepting, InProcessProxy(["--upstream", accepting.url]) as proxy:
        httpx.post(f"{proxy.url}/v2/payment-intents", json={"amount": "ten", "currency": "usd"}, auth=("a", "b"))
    failed = {check for (_, check), (_, violations) in proxy.reports.cases.items() if violations}
    assert failed == {"invalid-request-refused"}
    assert proxy.reports.failed
