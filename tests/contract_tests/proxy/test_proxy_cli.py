"""`python -m contract_tests.proxy`: real traffic to the sandbox judged clean, misbehaving upstreams reported."""

from __future__ import annotations

import asyncio
import concurrent.futures
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


def test_sigterm_writes_the_reports_and_strict_refuses_a_bad_request(tmp_path: Path) -> None:
    """The listening line comes first on stdout; --strict answers a bad body itself (never forwarded); SIGTERM
    writes the reports and exits 1 for it."""
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
        assert process.stdout is not None
        first = process.stdout.readline()  # the listening line: on stdout, flushed, first
        assert first.startswith("contract proxy listening on http://127.0.0.1:")
        url = first.split("listening on ")[1].split()[0]
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
        InProcessProxy(["--upstream", sandbox.base_url, "--allow-nothing-judged"]) as proxy,
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


def _json_answer(status: int, body: bytes) -> bytes:
    reason = {200: b"OK", 400: b"Bad Request"}[status]
    head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    return head % (status, reason, len(body)) + body


def test_a_command_that_sends_nothing_fails_saying_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`-- COMMAND` with no judged exchange exits 1 with one line saying so; its JUnit fails, never tests="0"."""
    caplog.set_level(logging.INFO, "contract_tests.proxy")
    quiet = [sys.executable, "-c", "pass"]
    args, command = cli.parse(["--upstream", "http://127.0.0.1:9/api", "--report", str(tmp_path / "a"), "--", *quiet])
    assert asyncio.run(cli.run(args, command)) == 1
    said = [record.getMessage() for record in caplog.records if "nothing was judged" in record.getMessage()]
    assert len(said) == 1
    junit = (tmp_path / "a" / JUNIT_NAME).read_text()
    assert 'tests="1" failures="1"' in junit
    assert 'name="judged-exchanges"' in junit
    allowed = ["--allow-nothing-judged", "--report", str(tmp_path / "b"), "--", *quiet]
    args, command = cli.parse(["--upstream", "http://127.0.0.1:9/api", *allowed])
    assert asyncio.run(cli.run(args, command)) == 0
    assert "<skipped" in (tmp_path / "b" / JUNIT_NAME).read_text()


def test_a_retrieve_overtaken_by_a_confirm_raises_no_false_alarm() -> None:
    """A retrieve the upstream read before a confirm, whose answer ends after the confirm's, is no move back."""
    intent = {"id": str(uuid.uuid4()), "amount": 5, "currency": "usd", "status": "initialized", "metadata": {}}
    method = str(uuid.uuid4())
    confirmed = {**intent, "status": "succeeded", "transfer_id": str(uuid.uuid4()), "payment_method_id": method}
    retrieve_read, confirm_answered = threading.Event(), threading.Event()

    def slow_retrieve() -> Iterator[bytes]:
        retrieve_read.set()
        confirm_answered.wait(10)  # the intent was read before the confirm; the answer leaves after it
        yield _json_answer(200, json.dumps(intent).encode())

    def answer(head: bytes, body: bytes) -> Iterator[bytes]:
        if head.startswith(b"GET "):
            return slow_retrieve()
        shown = confirmed if b"/confirm " in head else {**intent, "client_secret": "pi_secret_x"}
        return iter([_json_answer(200, json.dumps(shown).encode())])

    with (
        RawUpstream(answer) as upstream,
        InProcessProxy(["--upstream", upstream.url]) as proxy,
        httpx.Client(base_url=proxy.url, auth=(CLIENT_ID, API_KEY)) as http,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        http.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"})
        retrieved = pool.submit(http.get, f"/v2/payment-intents/{intent['id']}")
        assert retrieve_read.wait(10)
        http.post(f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": method})
        confirm_answered.set()
        assert retrieved.result(10).json()["status"] == "initialized"
    assert proxy.reports.counts["conforms"] == 3
    assert not proxy.reports.failed


def test_hostile_bodies_are_recorded_never_dropped(tmp_path: Path) -> None:
    """5,000 nested arrays sent (not judged) and answered (judged), and a body that is not UTF-8 (request-invalid):
    each answered as the upstream answered, and each in the record."""
    deep = b"[" * 5000 + b"]" * 5000
    refusal = json.dumps({"error": "invalid input", "code": "invalid-input"}).encode()

    def answer(head: bytes, body: bytes) -> list[bytes]:
        return [_json_answer(200, deep) if head.startswith(b"GET ") else _json_answer(400, refusal)]

    with (
        RawUpstream(answer) as upstream,
        InProcessProxy(["--upstream", upstream.url, "--report", str(tmp_path)]) as proxy,
        httpx.Client(auth=(CLIENT_ID, API_KEY)) as http,
    ):
        base = proxy.url
        headers = {"content-type": "application/json"}
        sent_deep = http.post(f"{base}/v2/payment-intents", content=deep, headers=headers)
        not_utf8 = http.post(f"{base}/v2/payment-intents", content=b'{"amount": "\xff"}', headers=headers)
        answered_deep = http.get(f"{base}/v2/payment-intents/{uuid.uuid4()}")
    assert (sent_deep.status_code, not_utf8.status_code) == (400, 400)
    assert answered_deep.content == deep
    lines = _lines(tmp_path)
    assert [line["not_judged"] for line in lines[:1]] == ["a request body nested too deeply to parse"]
    assert lines[1]["kind"] == "request-invalid"
    assert lines[1]["request_problems"] == ["the body is not JSON"]
    assert lines[2]["kind"] == "violation"  # a 200 that no PaymentIntent can be: judged, by schemathesis' own check
    assert lines[2]["checks"]["response_schema_conformance"] == "failed"
    assert len(lines) == 3


def test_fail_request_invalid_forwards_and_fails_and_a_named_test_is_in_each_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """--fail-request-invalid: a bad body still reaches the upstream but fails the run; lines name the test."""
    caplog.set_level(logging.INFO, "contract_tests.proxy")
    with FakeDots() as dots, InProcessProxy(["--upstream", dots.url, "--fail-request-invalid"]) as proxy:
        proxy.api.test = "tests/test_shop.py::test_pays"  # what a line on stdin sets (--tests-on-stdin)
        httpx.post(f"{proxy.url}/v2/payment-intents", json={"amount": "ten"}, auth=(CLIENT_ID, API_KEY))
    assert dots.requests == [("POST", "/api/v2/payment-intents")]
    assert proxy.reports.failed
    (line,) = [record.getMessage() for record in caplog.records if record.getMessage().startswith("request-invalid")]
    assert line.endswith(" [test tests/test_shop.py::test_pays]")
