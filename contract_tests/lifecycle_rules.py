"""The lifecycle openapi.yaml describes, as rules over answers: one source for the suite and the proxy.

Each rule takes answers as JSON (what a server sent) and returns a `Problem` (what the spec
expects, what was found) or None when the rule holds. `contract_tests/test_behaviour.py` asserts
them over requests it generates; `contract_tests.proxy` applies them to the traffic it carries.
The facts come from `spec_data` (the statuses, codes and messages the spec's paragraphs name).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from .spec_data import (
    ALREADY_CONFIRMED_CODE,
    IMMUTABLE_FIELDS,
    LATER_STATUSES,
    NOT_FOUND_CODE,
    NOT_FOUND_MESSAGE,
    UNCONFIRMED_STATUSES,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """A broken rule: what the spec expects and what the answer shows (`about`: the field concerned, if one)."""

    expected: str
    found: str
    about: str = ""

    def __str__(self) -> str:
        return f"expected {self.expected}, found {self.found}"


def same_uuid(left: object, right: object) -> bool:
    """Whether two JSON values spell the same UUID (format: uuid is case-insensitive)."""
    try:
        return uuid.UUID(str(left)) == uuid.UUID(str(right))
    except ValueError:
        return False


def created_as_sent(sent: Mapping[str, Any], answer: Mapping[str, Any]) -> list[Problem]:
    """A create's 200 answers the amount, currency, metadata (`{}` when none), user and payment method sent."""
    problems = [
        Problem(f"{field} {value!r} (as sent)", repr(answer.get(field, "absent")))
        for field, value in (
            ("amount", sent.get("amount")),
            ("currency", sent.get("currency")),
            ("metadata", sent.get("metadata", {})),
        )
        if answer.get(field) != value
    ]
    for field in ("user_id", "payment_method_id"):
        if field in sent and not same_uuid(answer.get(field), sent[field]):
            problems.append(Problem(f"{field} {sent[field]!r} (as sent)", repr(answer.get(field, "absent"))))
    return problems


def created_status(sent: Mapping[str, Any], answer: Mapping[str, Any]) -> Problem | None:
    """A create's 200 is `initialized`; with `confirm: true`, confirmed, or `requires_payment_method` without one."""
    status = answer.get("status")
    if sent.get("confirm") and "payment_method_id" in sent:
        return leaves_the_unconfirmed_statuses(answer)
    expected = "requires_payment_method" if sent.get("confirm") else "initialized"
    return None if status == expected else Problem(repr(expected), repr(status))


def answers_the_named_intent(path_id: str, answer: Mapping[str, Any]) -> Problem | None:
    """A retrieve's or confirm's answer is the intent its path names (same UUID, any case)."""
    if same_uuid(answer.get("id"), path_id):
        return None
    return Problem(f"the intent the path names ({path_id})", f"id {answer.get('id')!r}")


def records_the_payment_method(sent: Mapping[str, Any], answer: Mapping[str, Any]) -> Problem | None:
    """A confirm's 200 shows the `payment_method_id` the confirm sent (openapi.yaml, confirm: outcome)."""
    if same_uuid(answer.get("payment_method_id"), sent.get("payment_method_id")):
        return None
    return Problem(
        f"payment_method_id {sent.get('payment_method_id')!r} (the one sent)",
        f"{answer.get('payment_method_id')!r}",
    )


def leaves_the_unconfirmed_statuses(answer: Mapping[str, Any]) -> Problem | None:
    """A confirm's 200 shows a status out of the unconfirmed ones (openapi.yaml, Lifecycle)."""
    status = answer.get("status")
    if status is not None and status not in UNCONFIRMED_STATUSES:
        return None
    return Problem("a confirmed status (none of " + ", ".join(sorted(UNCONFIRMED_STATUSES)) + ")", f"{status!r}")


def no_client_secret(answer: Mapping[str, Any]) -> Problem | None:
    """Only create answers `client_secret` (openapi.yaml, confirm and retrieve)."""
    if "client_secret" not in answer:
        return None
    return Problem("no client_secret outside create's answer", "a client_secret")


def succeeded_with_a_transfer(answer: Mapping[str, Any]) -> Problem | None:
    """A `succeeded` intent names its `transfer_id` (openapi.yaml, Lifecycle)."""
    if answer.get("status") != "succeeded" or "transfer_id" in answer:
        return None
    return Problem("a transfer_id on a succeeded intent", "none")


def confirmed_answer(sent: Mapping[str, Any], answer: Mapping[str, Any]) -> list[Problem]:
    """Every rule a confirm's 200 must hold, given the body the confirm sent."""
    rules = (
        records_the_payment_method(sent, answer),
        leaves_the_unconfirmed_statuses(answer),
        no_client_secret(answer),
        succeeded_with_a_transfer(answer),
    )
    return [problem for problem in rules if problem is not None]


def refused_as_already_confirmed(status: int, body: Any) -> Problem | None:
    """A confirm of an intent that was confirmed before is not a 200; a 409 carries the spec's code."""
    if status == 200:
        return Problem(f"409 {ALREADY_CONFIRMED_CODE} (the intent was confirmed before)", "200")
    code = body.get("code", ALREADY_CONFIRMED_CODE) if isinstance(body, Mapping) else ALREADY_CONFIRMED_CODE
    if status == 409 and code != ALREADY_CONFIRMED_CODE:
        return Problem(f"code {ALREADY_CONFIRMED_CODE!r}", f"{code!r}")
    return None


def not_found_body(body: Any) -> Problem | None:
    """A 404 of an operation is Dots' own body: `{"error": "PaymentIntent not found"}` (code `not-found`)."""
    if not isinstance(body, Mapping):
        return Problem(f"{{'error': {NOT_FOUND_MESSAGE!r}}}", f"{body!r}")
    if body.get("error") != NOT_FOUND_MESSAGE:
        return Problem(f"error {NOT_FOUND_MESSAGE!r}", f"{body.get('error')!r}")
    if body.get("code", NOT_FOUND_CODE) != NOT_FOUND_CODE:
        return Problem(f"code {NOT_FOUND_CODE!r}", f"{body.get('code')!r}")
    return None


def kept_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> Problem | None:
    """`after` (a later answer for the intent) has `before`'s IMMUTABLE_FIELDS, none added or dropped."""
    for field in IMMUTABLE_FIELDS:
        if (field in before) != (field in after):
            was = "absent" if field not in before else repr(before[field])
            found = "absent" if field not in after else repr(after[field])
            return Problem(f"{field} as before ({was})", found, about=field)
        if field not in before:
            continue
        same = same_uuid(before[field], after[field]) if field.endswith("_id") else before[field] == after[field]
        if not same:
            return Problem(f"{field} {before[field]!r} (it never changes)", repr(after[field]), about=field)
    return None


def allowed_transition(was: object, now: object) -> Problem | None:
    """Whether an intent's status may go from `was` to `now` (openapi.yaml, Lifecycle and Later outcomes).

    An unconfirmed intent stays as it is or is confirmed (leaves the unconfirmed statuses for
    good); `processing` and `requires_action` move on to LATER_STATUSES; `succeeded` and
    `failed` are final. Staying in one status is always allowed.
    """
    if was == now:
        return None
    if was in UNCONFIRMED_STATUSES and now not in UNCONFIRMED_STATUSES:
        return None
    if now in LATER_STATUSES.get(str(was), frozenset()):
        return None
    return Problem(f"a move the spec allows from {was!r}", f"{was!r} -> {now!r}")
