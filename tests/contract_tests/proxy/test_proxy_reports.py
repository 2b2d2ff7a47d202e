"""The proxy's reports: violations on one line each, secrets redacted everywhere, JUnit one case per check."""

from __future__ import annotations

import base64
import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contract_tests.proxy.forwarding import Exchange
from contract_tests.proxy.judging import Violation
from contract_tests.proxy.reports import JUNIT_NAME, NDJSON_NAME, REDACTED, Redactor, Reports, violation_line
from contract_tests.proxy.verdict import Record

KEY = "sk-live-0123456789abcdef"
TOKEN = base64.b64encode(f"client:{KEY}".encode()).decode()
SECRET = "pi_secret_feedfacecafebeef"


def _record(checks: dict[str, list[Violation]], problems: list[str] | None = None) -> Record:
    exchange = Exchange(
        "POST",
        "/api/v2/payment-intents",
        [(b"Authorization", f"Basic {TOKEN}".encode()), (b"X-Api-Key", KEY.encode())],
        json.dumps({"amount": 5, "currency": "usd"}).encode(),
        status=200,
        response_headers=[(b"content-type", b"application/json")],
        response_body=json.dumps({"id": "x", "client_secret": SECRET}).encode(),
    )
    return Record(exchange, "create_payment_intent", "x", "client", request_problems=problems or [], checks=checks)


def test_the_redactor_removes_credentials_and_client_secrets() -> None:
    """Credential headers, secret JSON members and, once seen, their values in any text are replaced."""
    redactor = Redactor()
    headers = redactor.headers([["Authorization", f"Basic {TOKEN}"], ["X-Request-Id", "r"]])
    assert headers == [["Authorization", REDACTED], ["X-Request-Id", "r"]]
    assert redactor.json({"a": [{"client_secret": SECRET}]}) == {"a": [{"client_secret": REDACTED}]}
    text = redactor.text(f'found {{"client_secret": "other"}} and {KEY} and {SECRET}')
    assert KEY not in text
    assert SECRET not in text
    assert '"client_secret": "[redacted]"' in text


def test_reports_log_each_violation_and_write_redacted_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A violation is one log line at once; NDJSON and JUnit hold no secret; JUnit has one case per check."""
    caplog.set_level(logging.INFO, "contract_tests.proxy")
    reports = Reports(tmp_path)
    violation = Violation("create-answer", "create_payment_intent", "x", "metadata {}", f"body with {SECRET}")
    reports.add(_record({"status_code_conformance": [], "create-answer": [violation]}))
    reports.add(_record({"status_code_conformance": [], "create-answer": []}, problems=["amount: not an integer"]))
    assert [record.getMessage() for record in caplog.records if "VIOLATION" in record.getMessage()] == [
        violation_line(violation).replace(SECRET, REDACTED)
    ]
    reports.close()
    assert reports.failed
    for name in (NDJSON_NAME, JUNIT_NAME):
        text = (tmp_path / name).read_text()
        assert KEY not in text
        assert TOKEN not in text
        assert SECRET not in text
    lines = [json.loads(line) for line in (tmp_path / NDJSON_NAME).read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["violation", "request-invalid"]
    suite = ET.parse(tmp_path / JUNIT_NAME).getroot()  # noqa: S314 (our own report)
    cases = {(case.get("classname"), case.get("name")): case for case in suite}
    assert set(cases) == {
        ("create_payment_intent", "create-answer"),
        ("create_payment_intent", "status_code_conformance"),
        ("create_payment_intent", "request_conformance"),
    }
    assert cases["create_payment_intent", "create-answer"].find("failure") is not None
    assert cases["create_payment_intent", "request_conformance"].find("failure") is None
    assert suite.get("failures") == "1"


def test_request_invalid_fails_only_under_strict(tmp_path: Path) -> None:
    """A request that breaks the spec is the caller's: a failure only with --strict."""
    lenient, strict = Reports(None), Reports(None, strict=True)
    for reports in (lenient, strict):
        reports.add(_record({"create-answer": []}, problems=["amount: not an integer"]))
    assert not lenient.failed
    assert strict.failed
    assert strict.junit().getroot().get("failures") == "1"
