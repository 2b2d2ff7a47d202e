"""The payment-intent lifecycle the spec's **Decision** paragraphs describe.

Unconfirmed statuses can be confirmed; confirming moves an intent out of them for good. The
outcome of a confirm is chosen by the payment method, like Stripe's test cards: a few magic
payment_method_id values simulate a decline, an authentication challenge and a late
settlement; every other one succeeds. Later outcomes: a `processing` intent settles (after the
settlement delay) to `succeeded` or `failed`, as its payment method says; a `requires_action`
intent is completed or failed through the sandbox's control route.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import uuid_utils

from dots_sandbox.store import Confirmation, Intent

INITIALIZED = "initialized"
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
SUCCEEDED = "succeeded"
FAILED = "failed"
PROCESSING = "processing"
REQUIRES_ACTION = "requires_action"
UNCONFIRMED = frozenset({INITIALIZED, "created", REQUIRES_PAYMENT_METHOD, "requires_confirmation"})

# payment_method_id -> confirm outcome (compared in lower case). Anything else: succeeded.
OUTCOMES = {
    "00000000-0000-4000-8000-000000000001": SUCCEEDED,
    "00000000-0000-4000-8000-000000000002": FAILED,  # a decline
    "00000000-0000-4000-8000-000000000003": REQUIRES_ACTION,  # an authentication challenge
    "00000000-0000-4000-8000-000000000004": PROCESSING,  # settles later, succeeded
    "00000000-0000-4000-8000-000000000005": PROCESSING,  # settles later, failed
}
# payment_method_id -> where a `processing` intent settles (lower case). Anything else: succeeded.
SETTLEMENTS = {"00000000-0000-4000-8000-000000000005": FAILED}


def statuses_used() -> frozenset[str]:
    """Every status this module can give an intent (the tests check each is in the spec's enum)."""
    return UNCONFIRMED | {SUCCEEDED, *OUTCOMES.values(), *SETTLEMENTS.values()}


def outcome(payment_method_id: str) -> str:
    """The status a confirm with this payment method leads to."""
    return OUTCOMES.get(payment_method_id.lower(), SUCCEEDED)


def settlement(payment_method_id: str) -> str:
    """Where a `processing` intent confirmed with this payment method settles: succeeded or failed."""
    return SETTLEMENTS.get(payment_method_id.lower(), SUCCEEDED)


def transfer_id(status: str) -> str | None:
    """A new transfer id for a change to `succeeded` (the funds moved), else None."""
    return _transfer_id(status)


def new_intent(client_id: str, request: Mapping[str, Any], at: float | None = None) -> tuple[Intent, str]:
    """A new intent for a validated create request, and its client secret (shown once, stored hashed).

    Without `confirm: true` it starts `initialized`. With it, a `payment_method_id` confirms it
    at once (same outcomes as confirm); without one it waits in `requires_payment_method`.
    `at` (epoch seconds; None: now) is its creation time (and its confirm's).
    """
    now = _now(at)
    client_secret = f"pi_secret_{secrets.token_hex(16)}"
    payment_method_id = request.get("payment_method_id")
    status, transfer_id, confirmed_at = INITIALIZED, None, None
    if request.get("confirm") is True:
        if payment_method_id is None:
            status = REQUIRES_PAYMENT_METHOD
        else:
            status = outcome(payment_method_id)
            transfer_id = _transfer_id(status)
            confirmed_at = now
    intent = Intent(
        id=new_id(),
        client_id=client_id,
        status=status,
        create_request=request,
        client_secret_sha256=hashlib.sha256(client_secret.encode()).digest(),
        created_at=now,
        payment_method_id=payment_method_id,
        transfer_id=transfer_id,
        confirmed_at=confirmed_at,
    )
    return intent, client_secret


def confirmation(request: Mapping[str, Any], at: float | None = None) -> Confirmation:
    """What confirming with a validated confirm request writes (applied only to an unconfirmed intent).

    `at` (epoch seconds; None: now) is the confirm's time.
    """
    payment_method_id: str = request["payment_method_id"]
    status = outcome(payment_method_id)
    return Confirmation(status, payment_method_id, _transfer_id(status), request, _now(at))


def new_id() -> str:
    """A new payment-intent id: a UUID version 7 (RFC 9562 §5.7), lower case, hyphenated.

    Version 7 leads with the creation time in milliseconds, so ids sort in creation order and
    each create appends to the end of the store's primary-key B-tree. Random (version 4) keys
    land on a random leaf page each: every create then rewrites a different 4 KiB page, and the
    WAL checkpoints that copy those pages to the database file grew with the table, which was
    the sandbox's create p99 (docs/performance.md). The spec promises only a UUID.
    """
    return str(uuid_utils.uuid7())


def _transfer_id(status: str) -> str | None:
    return str(uuid_utils.uuid4()) if status == SUCCEEDED else None


def _now(at: float | None = None) -> str:
    moment = datetime.datetime.now(datetime.UTC) if at is None else datetime.datetime.fromtimestamp(at, datetime.UTC)
    return moment.isoformat(timespec="microseconds")
