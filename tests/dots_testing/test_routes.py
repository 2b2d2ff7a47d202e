"""The kit's controls over HTTP (/api/sandbox/fail-next, /requests, /reset, /advance, ...) for other languages."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest

from dots_testing import routes
from dots_testing.journal import Received
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
        ("advance", {"seconds": 1e12}),
        ("disturb-webhooks", {"kind": "delay", "options": {"seconds": 1e308}}),
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
    """Seconds not from 0 to a century, an unknown kind or option, a body of another shape: 400 invalid-input."""
    answer = http.post(f"/sandbox/{route}", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid-input")


class _Controls:
    """The controls the routes need, and nothing of a kit: a stand-in that notes each call."""

    client_id = "id"
    api_key = "key"

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def fail_next(self, operation_id: str, fault: str, **options: Any) -> None:
        self.calls.append(("fail_next", operation_id, fault, *map(str, options.values())))

    def requests(self, operation_id: str | None = None) -> list[Received]:
        self.calls.append(("requests", str(operation_id)))
        return [Received("create_payment_intent", "POST", "/api/v2/payment-intents", 200, committed=True)]

    def reset(self) -> None:
        self.calls.append(("reset",))

    def advance(self, seconds: float) -> None:
        self.calls.append(("advance", str(seconds)))

    def disturb_webhooks(self, kind: str, *, optional: bool = False, **options: Any) -> None:
        self.calls.append(("disturb_webhooks", kind, str(optional), *map(str, options.values())))

    def resend_webhook(self, svix_id: str) -> None:
        self.calls.append(("resend_webhook", svix_id))


def _serve_route(controls: routes.Controls, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request through `routes.serve` with the controls' credentials: the status and body answered."""
    sent: list[MutableMapping[str, Any]] = []
    path, _, query = path.partition("?")
    scope = {"type": "http", "method": method, "path": path, "query_string": query.encode(),
             "headers": [(b"authorization", b"Basic " + base64.b64encode(b"id:key"))]}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(routes.serve(controls, scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_the_routes_serve_any_controls_not_only_the_kit() -> None:
    """The routes call the Controls protocol's names only: a stand-in with them is served in full."""
    controls = _Controls()
    status, body = _serve_route(controls, "GET", "/api/sandbox/requests?operation_id=create_payment_intent")
    assert (status, json.loads(body)["data"][0]["committed"]) == (200, True)
    assert _serve_route(controls, "POST", "/api/sandbox/fail-next", b'{"operation_id": "x", "fault": "refuse",'
                        b' "options": {"status": 429}}') == (204, b"")  # fmt: skip
    assert _serve_route(controls, "POST", "/api/sandbox/reset") == (204, b"")
    assert _serve_route(controls, "POST", "/api/sandbox/advance", b'{"seconds": 60}') == (204, b"")
    assert _serve_route(controls, "POST", "/api/sandbox/disturb-webhooks", b'{"kind": "delay",'
                        b' "options": {"seconds": 5}}') == (204, b"")  # fmt: skip
    assert _serve_route(controls, "POST", "/api/sandbox/resend-webhook", b'{"svix_id": "msg_1"}') == (204, b"")
    assert controls.calls == [
        ("requests", "create_payment_intent"),
        ("fail_next", "x", "refuse", "429"),
        ("reset",),
        ("advance", "60"),
        ("disturb_webhooks", "delay", "False", "5"),
        ("resend_webhook", "msg_1"),
    ]


def test_the_http_reset_runs_off_the_event_loop(
    http: httpx.Client, dots_sandbox: TestSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While POST /sandbox/reset is held inside reset(), another request is answered: the loop is free."""
    inside, release = threading.Event(), threading.Event()
    reset = dots_sandbox.reset

    def held() -> None:
        inside.set()
        release.wait(10)
        reset()

    monkeypatch.setattr(dots_sandbox, "reset", held)
    answers: list[int] = []
    resetting = threading.Thread(target=lambda: answers.append(http.post("/sandbox/reset").status_code))
    resetting.start()
    try:
        assert inside.wait(10)
        assert http.get("/sandbox/requests", timeout=5).status_code == 200
    finally:
        release.set()
        resetting.join(10)
    assert answers == [204]


def test_requests_over_http_refuses_an_unknown_operation(http: httpx.Client) -> None:
    """GET /sandbox/requests?operation_id=<typo> is 400 naming the valid ones, never an empty list."""
    answer = http.get("/sandbox/requests", params={"operation_id": "confirm_payment"})
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid-input")
    assert "confirm_payment_intent" in answer.json()["details"][0]["message"]
