"""The three operations, on validated input: create, retrieve and confirm a payment intent.

Answers are built from what is stored, shaped by the spec's `PaymentIntent` schema: each of its
properties that has a value (optional ones are omitted, never null), `metadata` always (`{}`
when none was given), `client_secret` only in the answer to create.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from dots_sandbox import errors, lifecycle
from dots_sandbox.background.changes import Changes
from dots_sandbox.request.operations import Access
from dots_sandbox.settings import SETTLEMENT_SECONDS
from dots_sandbox.store import Intent, Refusal, Store
from dots_spec.refs import resolve


class Handlers:
    """create / retrieve / confirm over a `Store`; each takes (client_id, path params, body).

    `ACCESS` says what each operation does to the store (dots_sandbox/request/operations.py).
    """

    ACCESS: Mapping[str, Access] = {
        "create_payment_intent": Access.WRITE,
        "retrieve_payment_intent": Access.READ_ONE,
        "confirm_payment_intent": Access.WRITE,
    }

    def __init__(self, store: Store, spec: dict[str, Any], changes: Changes | None = None) -> None:
        self.store = store
        self.changes = Changes((), SETTLEMENT_SECONDS) if changes is None else changes
        schema = resolve(spec["components"]["schemas"]["PaymentIntent"], spec)
        self._fields = tuple(schema["properties"])

    def create_payment_intent(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """Store a new intent (confirmed at once with `confirm: true` and a payment method)."""
        intent, client_secret = lifecycle.new_intent(client_id, body, self.changes.clock())
        if intent.confirmed_at is None:  # a creation is no status change: no event
            self.store.add_with(intent, None, None)
        else:  # confirmed in the same request: one event, for the confirm
            assert intent.payment_method_id is not None
            event, settlement = self.changes.confirmed(client_id, intent.id, intent.status, intent.payment_method_id)
            self.store.add_with(intent, event, settlement)
            self.changes.committed(settlement)
        return self.present(intent, client_secret)

    def retrieve_payment_intent(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """The intent as stored; 404 if this client has none with this id."""
        intent = self.store.get(client_id, params["payment_intent_id"].lower())
        if intent is None:
            raise errors.not_found()
        return self.present(intent)

    def confirm_payment_intent(self, client_id: str, params: Mapping[str, str], body: Any) -> dict[str, Any]:
        """Confirm an unconfirmed intent atomically; 409 if it was confirmed before, 404 if unknown."""
        intent_id = params["payment_intent_id"].lower()
        confirmation = lifecycle.confirmation(body, self.changes.clock())
        event, settlement = self.changes.confirmed(
            client_id, intent_id, confirmation.status, confirmation.payment_method_id
        )
        confirmation = dataclasses.replace(confirmation, event=event, settlement=settlement)
        result = self.store.confirm(client_id, intent_id, lifecycle.UNCONFIRMED, confirmation)
        if result is Refusal.NOT_FOUND:
            raise errors.not_found()
        if isinstance(result, Refusal):
            raise errors.already_confirmed()
        self.changes.committed(settlement)
        return self.present(result)

    def present(self, intent: Intent, client_secret: str | None = None) -> dict[str, Any]:
        """The PaymentIntent answer for a stored intent: the schema's properties that have a value, in its order."""
        request = intent.create_request
        server = {  # set by the sandbox, never copied from the create request; None: not shown
            "id": intent.id,
            "status": intent.status,
            "payment_method_id": intent.payment_method_id,
            "transfer_id": intent.transfer_id,
            "client_secret": client_secret,
        }
        answer: dict[str, Any] = {}
        for field in self._fields:
            if field in server:
                value = server[field]
                if value is not None:
                    answer[field] = value
            elif field in request:
                answer[field] = request[field]
            elif field == "metadata":
                answer[field] = {}
        return answer
