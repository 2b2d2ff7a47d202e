"""The sandbox-only control routes (dots_sandbox/request/control.yaml): complete an action, settle, see events.

They sit under `/api/sandbox/...`, outside the Dots paths of openapi.yaml, behind the same
HTTP Basic credentials. Receiver secrets are never shown: a delivery names its receiver's URL.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dots_sandbox import errors, lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.background.webhooks import EVENT_TYPE
from dots_sandbox.request.handlers import Handlers
from dots_sandbox.request.operations import Access
from dots_sandbox.store import EventRecord, Refusal, Store
from dots_spec.document import load_spec

CONTROL_SPEC_PATH = Path(__file__).resolve().parent / "control.yaml"
RECENT_EVENTS = 50
# How many waiting settlements `settle_payment_intent` looks through for the intent's (oldest first).
SETTLEMENT_SCAN = 10_000


def load_control_spec() -> dict[str, Any]:
    """The control routes' OpenAPI document (cached: callers must not mutate it)."""
    return load_spec(CONTROL_SPEC_PATH)


def with_control_routes(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with the control routes' paths added (a new dict; `spec` is unchanged)."""
    return {**spec, "paths": {**spec["paths"], **load_control_spec()["paths"]}}


class ControlHandlers:
    """The control operations; each takes (client_id, path params, body) like the Dots handlers."""

    ACCESS: Mapping[str, Access] = {
        "complete_payment_intent_action": Access.WRITE,
        "settle_payment_intent": Access.WRITE,
        "list_payment_intent_webhook_events": Access.READ_MANY,  # events, deliveries, attempts
        "list_webhook_events": Access.READ_MANY,
    }

    def __init__(self, store: Store, handlers: Handlers, changes: Changes) -> None:
        self.store = store
        self.handlers = handlers
        self.changes = changes

    def complete_payment_intent_action(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """requires_action → succeeded or failed (`outcome`); 404 unknown, 409 in another status."""
        intent_id = params["payment_intent_id"].lower()
        transition = self.changes.transition(client_id, intent_id, body["outcome"])
        result = self.store.transition(client_id, intent_id, frozenset({lifecycle.REQUIRES_ACTION}), transition)
        if result is Refusal.NOT_FOUND:
            raise errors.not_found()
        if isinstance(result, Refusal):
            raise errors.ApiError(409, "payment-intent-not-requires-action", "PaymentIntent is not awaiting an action")
        self.changes.committed()
        return self.handlers.present(result)

    def settle_payment_intent(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """processing → its settlement's status, now; 404 unknown, 409 when no settlement waits (or not processing).

        The timer is claimed as the background settler claims it (the store's `settle` deletes its row), so
        the intent settles once whichever gets there first.
        """
        intent_id = params["payment_intent_id"].lower()
        waiting = self.store.due_settlements(math.inf, SETTLEMENT_SCAN)
        settlement = next((s for s in waiting if s.client_id == client_id and s.payment_intent_id == intent_id), None)
        intent = None
        if settlement is not None:
            transition = self.changes.transition(client_id, intent_id, settlement.status)
            intent = self.store.settle(settlement, transition)
        if intent is None:
            if self.store.get(client_id, intent_id) is None:
                raise errors.not_found()
            raise errors.ApiError(409, "payment-intent-not-processing", "PaymentIntent has no settlement waiting")
        self.changes.committed()
        return self.handlers.present(intent)

    def list_payment_intent_webhook_events(
        self, client_id: str, params: Mapping[str, str], body: Any
    ) -> dict[str, Any]:
        """The intent's events, newest first (an empty list for an id with none)."""
        records = self.store.events(client_id, params["payment_intent_id"].lower(), RECENT_EVENTS)
        return {"data": [present_event(record) for record in records]}

    def list_webhook_events(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """The client's RECENT_EVENTS most recent events, newest first."""
        return {"data": [present_event(record) for record in self.store.events(client_id, None, RECENT_EVENTS)]}


def present_event(record: EventRecord) -> dict[str, Any]:
    """An event as the control routes show it: payload, status announced, each receiver's attempts."""
    event = record.event
    return {
        "id": event.id,
        "type": EVENT_TYPE,
        "payment_intent_id": event.payment_intent_id,
        "status": event.status,
        "created_at": _iso(event.created_at),
        "payload": json.loads(event.body),
        "deliveries": [
            {
                "receiver": delivery.receiver,
                "state": delivery.state,
                **({"next_attempt_at": _iso(delivery.next_attempt_at)} if delivery.state == "pending" else {}),
                "attempts": [
                    {
                        "number": attempt.number,
                        "at": _iso(attempt.at),
                        "http_status": attempt.http_status,
                        "error": attempt.error,
                    }
                    for attempt in delivery.attempts
                ],
            }
            for delivery in record.deliveries
        ],
    }


def _iso(epoch_seconds: float) -> str:
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC).isoformat(timespec="milliseconds")
