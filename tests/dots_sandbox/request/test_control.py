"""The sandbox-only control routes: complete-action and the webhook events view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings
from dots_spec.document import load_spec

if TYPE_CHECKING:
    from tests.conftest import Clock, InProcess

CHALLENGE = "00000000-0000-4000-8000-000000000003"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RECEIVER_URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def app(clock: Clock) -> Iterator[InProcess]:
    """The sandbox in process with one (unreachable, never called here) receiver."""
    from tests.conftest import InProcess

    settings = Settings(db=":memory:", webhooks=(Receiver(RECEIVER_URL, SECRET),))
    client = InProcess(build_sandbox(settings, clock=clock))
    yield client
    client.close()


def _challenged(app: InProcess) -> dict[str, Any]:
    intent = app.create(amount=900, currency="usd", metadata={"order": "7"}).json()
    answer: dict[str, Any] = app.confirm(intent["id"], CHALLENGE).json()
    assert answer["status"] == "requires_action"
    return answer


def _complete(app: InProcess, intent_id: str, body: object, **kwargs: Any) -> Any:
    return app.request("POST", f"/sandbox/payment-intents/{intent_id}/complete-action", json=body, **kwargs)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_complete_action_moves_requires_action_on(app: InProcess, outcome: str) -> None:
    """complete-action answers the intent in its new status (a transfer_id when succeeded); retrieve agrees."""
    answer = _challenged(app)
    response = _complete(app, answer["id"], {"outcome": outcome})
    assert response.status_code == 200
    after = response.json()
    assert after["status"] == outcome
    assert ("transfer_id" in after) == (outcome == "succeeded")
    assert {k: v for k, v in after.items() if k not in ("status", "transfer_id")} == {
        k: v for k, v in answer.items() if k != "status"
    }
    assert app.retrieve(answer["id"]).json() == after


def test_complete_action_refusals(app: InProcess) -> None:
    """409 once completed or for another status, 404 unknown, 400 bad outcome or body, 401 without credentials."""
    answer = _challenged(app)
    assert _complete(app, answer["id"], {"outcome": "succeeded"}).status_code == 200
    again = _complete(app, answer["id"], {"outcome": "failed"})
    assert (again.status_code, again.json()["code"]) == (409, "payment-intent-not-requires-action")
    fresh = app.create(amount=1, currency="usd").json()
    assert _complete(app, fresh["id"], {"outcome": "succeeded"}).status_code == 409
    assert app.retrieve(fresh["id"]).json()["status"] == "initialized"
    unknown = _complete(app, str(uuid.uuid4()), {"outcome": "succeeded"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "PaymentIntent not found")
    for body in ({"outcome": "processing"}, {}, {"outcome": "failed", "extra": 1}):
        assert _complete(app, answer["id"], body).json()["code"] == "invalid-input"
    assert _complete(app, "not-a-uuid", {"outcome": "failed"}).status_code == 400
    assert _complete(app, answer["id"], {"outcome": "failed"}, auth=None).status_code == 401
    assert app.request("GET", "/sandbox/webhook-events", auth=None).status_code == 401


def test_control_routes_are_not_dots_paths() -> None:
    """openapi.yaml (and so the generated Dots client) has no /sandbox path."""
    assert not [path for path in load_spec()["paths"] if "sandbox" in path]


def test_webhook_events_show_each_change_and_its_deliveries(app: InProcess) -> None:
    """One event per status change, newest first, with the payload, the receiver URL and no secret."""
    answer = _challenged(app)
    _complete(app, answer["id"], {"outcome": "failed"})
    app.create(amount=3, currency="usd")  # a creation: no event
    response = app.request("GET", f"/sandbox/payment-intents/{answer['id']}/webhook-events")
    events = response.json()["data"]
    assert [event["status"] for event in events] == ["failed", "requires_action"]
    for event in events:
        assert event["id"].startswith("msg_")
        assert event["type"] == "payment_intent.updated"
        assert event["payload"] == {"event": "payment_intent.updated", "payment_intent_id": answer["id"]}
        (delivery,) = event["deliveries"]
        assert delivery["receiver"] == RECEIVER_URL
        assert delivery["state"] == "pending"
        assert delivery["attempts"] == []
    everything = app.request("GET", "/sandbox/webhook-events")
    assert [event["id"] for event in everything.json()["data"]] == [event["id"] for event in events]
    assert SECRET.removeprefix("whsec_") not in response.text + everything.text
    none = app.request("GET", f"/sandbox/payment-intents/{uuid.uuid4()}/webhook-events")
    assert none.json() == {"data": []}


FAILS_LATER = "00000000-0000-4000-8000-000000000005"


def test_settle_moves_a_processing_intent_on_once(app: InProcess) -> None:
    """settle answers the intent in its settled status, once; then 409, and 404 for an unknown intent."""
    intent = app.create(amount=900, currency="usd").json()
    assert app.confirm(intent["id"], FAILS_LATER).json()["status"] == "processing"
    settled = app.request("POST", f"/sandbox/payment-intents/{intent['id']}/settle")
    assert settled.status_code == 200
    assert settled.json()["status"] == "failed"
    assert app.retrieve(intent["id"]).json() == settled.json()
    again = app.request("POST", f"/sandbox/payment-intents/{intent['id']}/settle")
    assert (again.status_code, again.json()["code"]) == (409, "payment-intent-not-processing")
    assert app.request("POST", f"/sandbox/payment-intents/{uuid.uuid4()}/settle").status_code == 404
