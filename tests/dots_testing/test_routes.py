"""The kit's controls over HTTP (/api/sandbox/fail-next, /requests, /reset, /advance, ...) for other languages."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dots_testing.kit import SETTLEMENT_SECONDS, TestSandbox
from dots_testing.webhook_receiver import WebhookReceiver


@pytest.fixture
def http(dots_sandbox: TestSandbox) -> Iterator[httpx.Client]:
    """An HTTP client of the test's sandbox with its credentials."""
    with httpx.Client(base_url=dots_sandbox.base_url, auth=(dots_sandbox.client_id, dots_sandbox.api_key)) as client:
        yield client


def test_fail_next_over_http_refuses_the_next_create(http: httpx.Client) -> None:
    """A fault queued over HTTP applies to the next create, and /requests shows it, not committed."""
    queued = http.post("/sandbox/fail-next", json={"operation_id": "create_payment_intent", "fault": "refuse"})
    assert queued.status_code == 204
    refused = http.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"})
    assert (refused.status_code, refused.headers["preference-applied"]) == (503, "dots-fault=refuse")
    assert http.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}).status_code == 200
    listed = http.get("/sandbox/requests", params={"operation_id": "create_payment_intent"}).json()["data"]
    assert [(r["status"], r["fault"], r["committed"]) for r in listed] == [(503, "refuse", False), (200, None, True)]


def test_reset_over_http_empties_the_state(http: httpx.Client) -> None:
    """After POST /sandbox/reset the intent made before is gone and the journal is empty."""
    intent_id = http.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}).json()["id"]
    assert http.post("/sandbox/reset").status_code == 204
    assert http.get(f"/v2/payment-intents/{intent_id}").status_code == 404
    assert [r["operation_id"] for r in http.get("/sandbox/requests").json()["data"]] == ["retrieve_payment_intent"]


@pytest.mark.parametrize(
    "body",
    [
        {"operation_id": "create_payment_intent", "fault": "explode"},
        {"operation_id": "nope", "fault": "refuse"},
        {"operation_id": "create_payment_intent", "fault": "delay", "options": {"status": 503}},
        {"operation_id": "create_payment_intent", "fault": "delay", "extra": 1},
        [],
    ],
)
def test_fail_next_over_http_refuses_what_it_cannot_do(http: httpx.Client, body: object) -> None:
    """An unknown fault, operation or option, or a body of another shape, is 400 invalid-input."""
    answer = http.post("/sandbox/fail-next", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid-input")


def test_the_kit_routes_need_the_credentials(dots_sandbox: TestSandbox) -> None:
    """Without the sandbox's credentials the kit's routes answer 401, as the API's do."""
    assert httpx.get(f"{dots_sandbox.base_url}/sandbox/requests").status_code == 401


def test_advance_disturb_and_resend_over_http(http: httpx.Client, dots_webhooks: WebhookReceiver) -> None:
    """advance settles a processing intent; a duplicate planned over HTTP arrives twice; resend-webhook sends the
    event once more (404 for an unknown one)."""
    assert http.post("/sandbox/disturb-webhooks", json={"kind": "duplicate", "options": {}}).status_code == 204
    created = http.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}).json()
    confirm = {"payment_method_id": "00000000-0000-4000-8000-000000000004"}  # processing, then succeeded
    assert http.post(f"/v2/payment-intents/{created['id']}/confirm", json=confirm).json()["status"] == "processing"
    assert http.post("/sandbox/advance", json={"seconds": SETTLEMENT_SECONDS}).status_code == 204
    assert http.get(f"/v2/payment-intents/{created['id']}").json()["status"] == "succeeded"
    arrived = [dots_webhooks.wait_for(created["id"]) for _ in range(3)]  # the processing event twice, the settlement
    assert len({each.svix_id for each in arrived}) == 2
    assert http.post("/sandbox/resend-webhook", json={"svix_id": arrived[0].svix_id}).status_code == 204
    assert dots_webhooks.wait_for(created["id"]).svix_id == arrived[0].svix_id
    missing = http.post("/sandbox/resend-webhook", json={"svix_id": "msg_unknown"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not-found")


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("advance", {"seconds": -1}),
        ("advance", {"seconds": "soon"}),
        ("advance", {"minutes": 1}),
        ("disturb-webhooks", {"kind": "shuffle"}),
        ("disturb-webhooks", {"kind": "delay", "options": {"second": 5}}),
        ("disturb-webhooks", {"kind": "delay", "options": []}),
        ("disturb-webhooks", {"kind": "duplicate", "optional": "yes"}),
        ("resend-webhook", {"svix_id": 5}),
        ("resend-webhook", []),
    ],
)
def test_the_time_and_disorder_routes_refuse_what_they_cannot_do(http: httpx.Client, route: str, body: object) -> None:
    """Seconds that are not a number >= 0, an unknown kind or option, a body of another shape: 400 invalid-input."""
    answer = http.post(f"/sandbox/{route}", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid-input")
