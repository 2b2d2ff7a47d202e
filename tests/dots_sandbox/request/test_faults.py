"""Failures on demand: `Prefer: dots-fault=...` refuses, answers non-JSON or delays, only when enabled."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from dots_sandbox import errors
from dots_sandbox.request import faults
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import InProcess, LiveSandbox

METHOD = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def faulty() -> Iterator[InProcess]:
    """The sandbox app in process with failures on demand enabled."""
    from tests.conftest import InProcess

    client = InProcess(build_sandbox(Settings(db=":memory:", faults=True)))
    yield client
    client.close()


def _new_intent(sandbox: InProcess) -> str:
    """A fresh intent's id (created without a fault)."""
    response = sandbox.create(amount=1000, currency="usd")
    assert response.status_code == 200
    intent_id: str = response.json()["id"]
    return intent_id


def test_refuse_answers_503_with_retry_after_and_does_not_act(faulty: InProcess) -> None:
    """A refused confirm is 503 JSON with the Retry-After asked for, and the intent stays unconfirmed."""
    intent_id = _new_intent(faulty)
    response = faulty.request(
        "POST",
        f"/v2/payment-intents/{intent_id}/confirm",
        json={"payment_method_id": METHOD},
        headers={"Prefer": "dots-fault=refuse; status=503; retry-after=2"},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["preference-applied"] == "dots-fault=refuse"
    assert response.json() == {"error": "Service Unavailable (failure on demand)", "code": "service-unavailable"}
    assert faulty.retrieve(intent_id).json()["status"] == "initialized"


def test_refused_create_creates_nothing(faulty: InProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    """A create refused with 429 (no Retry-After unless asked) never reaches the store."""
    added: list[object] = []
    monkeypatch.setattr(faulty.sandbox.store, "add_with", lambda *args: added.append(args))
    refused = faulty.request(
        "POST",
        "/v2/payment-intents",
        json={"amount": 1, "currency": "usd"},
        headers={"Prefer": "dots-fault=refuse; status=429"},
    )
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    assert refused.json()["code"] == "too-many-requests"
    assert added == []


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("text", "text/plain; charset=utf-8", b"409 Conflict (failure on demand)\n"),
        (
            "html",
            "text/html; charset=utf-8",
            b"<html><body><h1>409 Conflict</h1><p>failure on demand</p></body></html>\n",
        ),
        ("empty", None, b""),
    ],
)
def test_non_json_answers_the_status_with_that_body(
    faulty: InProcess, body: str, content_type: str | None, expected: bytes
) -> None:
    """`non-json; status=409; body=...` answers 409 with a text, HTML or empty body, and does not confirm."""
    intent_id = _new_intent(faulty)
    response = faulty.request(
        "POST",
        f"/v2/payment-intents/{intent_id}/confirm",
        json={"payment_method_id": METHOD},
        headers={"Prefer": f'dots-fault="non-json"; status=409; body={body}'},
    )
    assert response.status_code == 409
    assert response.headers.get("content-type") == content_type
    assert response.content == expected
    assert faulty.retrieve(intent_id).json()["status"] == "initialized"


def test_fault_comes_before_authentication(faulty: InProcess) -> None:
    """A fault plays a gateway in front of the API: it answers even a request without credentials."""
    response = faulty.request(
        "GET", f"/v2/payment-intents/{METHOD}", auth=None, headers={"Prefer": "dots-fault=non-json; status=502"}
    )
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/plain")


def test_delay_acts_then_answers_later(faulty: InProcess) -> None:
    """`delay; seconds=0.3` confirms at once and answers 200 no sooner than 0.3 s later."""
    intent_id = _new_intent(faulty)
    start = time.monotonic()
    response = faulty.request(
        "POST",
        f"/v2/payment-intents/{intent_id}/confirm",
        json={"payment_method_id": METHOD},
        headers={"Prefer": "respond-async, dots-fault=delay; seconds=0.3"},
    )
    assert time.monotonic() - start >= 0.3
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.headers["preference-applied"] == "dots-fault=delay"


def test_delay_up_to_the_bound_is_kept_and_beyond_it_refused() -> None:
    """A delay of the bound waits the bound; one beyond is refused (400), never capped to something else."""
    assert faults.parse("dots-fault=delay; seconds=30") == faults.Fault("delay", seconds=faults.MAX_DELAY_SECONDS)
    with pytest.raises(errors.ApiError) as refused:
        faults.parse("dots-fault=delay; seconds=30.5")
    assert refused.value.status == 400
    assert b"at most 30" in refused.value.body()


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("explode", {}, "fault must be one of refuse, non-json, delay, not 'explode'"),
        ("refuse", {"seconds": 1}, "refuse takes retry_after, status, not seconds"),
        ("refuse", {"retry_after": "2"}, "retry-after must be whole seconds"),
        ("refuse", {"status": True}, "refuse takes status 429 or 500-599"),
        ("delay", {"seconds": 60}, "seconds must be at most 30"),
        ("non-json", {"body": "xml"}, "body must be one of text, html, empty"),
    ],
)
def test_build_refuses_in_plain_text(kind: str, options: dict[str, object], message: str) -> None:
    """`build`, the one constructor, refuses a bad kind, option or value with a ValueError naming the valid ones."""
    with pytest.raises(faults.FaultError, match=message) as refused:
        faults.build(kind, **options)
    assert isinstance(refused.value, ValueError)


def test_the_header_and_build_make_the_same_value() -> None:
    """The Prefer parser reads text into build's options: the same Fault as build with Python values."""
    assert faults.parse('dots-fault=refuse; status=429; retry-after="7"') == faults.build(
        "refuse", status=429, retry_after=7
    )
    assert faults.parse("dots-fault=non-json; status=502; body=empty") == faults.build(
        "non-json", status=502, body="empty"
    )


def test_first_dots_fault_counts() -> None:
    """Of two dots-fault preferences the first counts (RFC 7240 §2); other preferences are ignored."""
    assert faults.parse("return=minimal, dots-fault=refuse; status=500, dots-fault=delay") == faults.Fault(
        "refuse", 500
    )
    assert faults.parse("return=minimal; wait=5") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("dots-fault=explode", "must be one of refuse, non-json, delay"),
        ("dots-fault=refuse; status=404", "refuse takes status 429 or 500-599"),
        ("dots-fault=refuse; status=5033", "refuse takes status 429 or 500-599"),
        ("dots-fault=refuse; retry-after=-1", "retry-after must be whole seconds"),
        ("dots-fault=refuse; retry-after=1234567", "retry-after must be whole seconds"),
        ("dots-fault=refuse; sttus=503", "takes retry-after, status"),
        ("dots-fault=non-json; status=204", "non-json takes a status 200-599 that has a body"),
        ("dots-fault=non-json; body=xml", "body must be one of text, html, empty"),
        ("dots-fault=delay; seconds=nan", "seconds must be a number >= 0"),
        ("dots-fault=delay; seconds=-1", "seconds must be a number >= 0"),
        ("dots-fault=delay; seconds", "delay takes seconds"),
        ("dots-fault=delay; seconds=1e9", "seconds must be at most 30"),
    ],
)
def test_unreadable_fault_is_400_naming_the_header(faulty: InProcess, value: str, message: str) -> None:
    """A dots-fault the sandbox cannot read is 400 invalid-input on header.Prefer, and nothing is created."""
    response = faulty.request(
        "POST", "/v2/payment-intents", json={"amount": 1, "currency": "usd"}, headers={"Prefer": value}
    )
    assert response.status_code == 400
    detail = response.json()["details"][0]
    assert detail["location"] == "header.Prefer"
    assert message in detail["message"]


def test_faults_are_off_by_default(sandbox: InProcess) -> None:
    """Without the setting, a dots-fault preference is ignored: the request is served as usual."""
    response = sandbox.request(
        "POST",
        "/v2/payment-intents",
        json={"amount": 1, "currency": "usd"},
        headers={"Prefer": "dots-fault=refuse; status=503; retry-after=1"},
    )
    assert response.status_code == 200
    assert "preference-applied" not in response.headers


@pytest.mark.parametrize(("env", "args"), [({"SANDBOX_FAULTS": "1"}, ()), ({}, ("--faults",))])
def test_live_sandbox_enables_faults_by_variable_or_flag(
    start_sandbox: Callable[..., LiveSandbox], env: dict[str, str], args: tuple[str, ...]
) -> None:
    """SANDBOX_FAULTS=1 or --faults enables failures on demand in `python -m dots_sandbox`, and it says so."""
    live = start_sandbox(env=env, args=args)
    response = httpx.get(
        f"{live.url}/v2/payment-intents/{METHOD}", headers={"Prefer": "dots-fault=refuse; status=503; retry-after=1"}
    )
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    assert "failures on demand are enabled" in live.output


def test_live_sandbox_ignores_faults_when_off(start_sandbox: Callable[..., LiveSandbox]) -> None:
    """A live sandbox started without the setting ignores dots-fault (401 here: no credentials sent)."""
    live = start_sandbox(env={"SANDBOX_FAULTS": "0"})
    response = httpx.get(f"{live.url}/v2/payment-intents/{METHOD}", headers={"Prefer": "dots-fault=refuse; status=503"})
    assert response.status_code == 401
    assert "failures on demand" not in live.output
