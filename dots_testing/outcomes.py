"""`@pytest.mark.dots_outcomes`: one test run over every outcome a confirm can have, and the journal checked after each.

The marker parametrizes a test at collection with the `dots_outcome` fixture, one item per row of
OUTCOMES (ids such as `test_pay[processing-failed]`), and with `faults=True` one more per row of
FAULTS, each a fault on the test's first confirm (a `fail_next` the test must use). After each item
that passed, the kit counts the payments its journal shows: committed confirms whose intent is not
`failed`, at most the marker's `payments=` (default 1), or the test fails naming the intents, so a
handler that pays one order twice fails. docs/testing.md has the table.

This module imports nothing of the sandbox (the plugin loads it at start-up); `Outcome` reaches the
sandbox only through the `TestSandbox` its fixture hands it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from dots_testing.faults import FaultKind
    from dots_testing.kit import TestSandbox
    from dots_testing.webhook_receiver import IntentStatus

MARKER = "dots_outcomes"
CONFIRM: Literal["confirm_payment_intent"] = "confirm_payment_intent"
CARD = "00000000-0000-4000-8000-000000000001"  # succeeds
DECLINE = "00000000-0000-4000-8000-000000000002"  # is declined
CHALLENGE = "00000000-0000-4000-8000-000000000003"  # asks for authentication
SETTLES_SUCCEEDED = "00000000-0000-4000-8000-000000000004"
SETTLES_FAILED = "00000000-0000-4000-8000-000000000005"


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    """One item of the marker: `id`, the payment method, the statuses, and the fault on the first confirm."""

    id: str
    payment_method_id: str
    first_status: IntentStatus
    final_status: IntentStatus
    fault: FaultKind | None = None
    fault_options: tuple[tuple[str, Any], ...] = ()


OUTCOMES = (
    Case("succeeded", CARD, "succeeded", "succeeded"),
    Case("failed", DECLINE, "failed", "failed"),
    Case("processing-succeeded", SETTLES_SUCCEEDED, "processing", "succeeded"),
    Case("processing-failed", SETTLES_FAILED, "processing", "failed"),
    Case("requires_action-succeeded", CHALLENGE, "requires_action", "succeeded"),
    Case("requires_action-failed", CHALLENGE, "requires_action", "failed"),
)
# Faults on the first confirm of a card that succeeds: what the confirm's answer can be besides its status.
# The statuses are what a client that retries (the `dots` fixture) ends with: docs/testing.md's table
# of faults says what each one raises without retries.
FAULTS = (
    Case("refused-retry-after", CARD, "succeeded", "succeeded", "refuse", (("status", 503), ("retry_after", 1))),
    Case("refused", CARD, "succeeded", "succeeded", "refuse", (("status", 503),)),
    Case("answer-lost", CARD, "succeeded", "succeeded", "lose-answer"),
    Case("non-json", CARD, "succeeded", "succeeded", "non-json", (("status", 502), ("body", "html"))),
)


def cases(marker_kwargs: dict[str, Any]) -> tuple[Case, ...]:
    """The items of a `dots_outcomes(faults=False, payments=1)` marker; ValueError for another argument."""
    unknown = set(marker_kwargs) - {"faults", "payments"}
    if unknown:
        raise ValueError(f"{MARKER} takes faults= and payments=, not {', '.join(sorted(unknown))}")
    payments = marker_kwargs.get("payments", 1)
    if isinstance(payments, bool) or not isinstance(payments, int) or payments < 0:
        raise ValueError(f"{MARKER}(payments=...) must be a whole number >= 0, not {payments!r}")
    return OUTCOMES + (FAULTS if marker_kwargs.get("faults", False) else ())


class Outcome:
    """The outcome this item plays: pay with `payment_method_id`; expect `first_status` from the confirm and
    `final_status` once `finish()` ran; `fault` is None or the fault on the test's first confirm (a FAULTS id).

    Handed to the test by the `dots_outcome` fixture, which has already queued the fault (if any).
    """

    def __init__(self, case: Case, sandbox: TestSandbox) -> None:
        self.id = case.id
        self.payment_method_id = case.payment_method_id
        self.first_status = case.first_status
        self.final_status = case.final_status
        self.fault = case.id if case.fault is not None else None
        self._sandbox = sandbox

    def __repr__(self) -> str:
        return f"Outcome({self.id!r}, payment_method_id={self.payment_method_id!r})"

    def finish(self) -> list[dict[str, Any]]:
        """Settle or complete, to `final_status`, every intent of this test confirmed with `payment_method_id`
        that is still `processing` or `requires_action`; returns those intents (dicts, as the API answers them).

        What the customer or the card network does later, now: the webhooks it brings follow.
        """
        done = []
        for intent_id in confirmed_intents(self._sandbox):
            intent = self._sandbox.sandbox.store.get(self._sandbox.client_id, intent_id)
            if intent is None or intent.payment_method_id != self.payment_method_id:
                continue
            if intent.status == "processing":
                done.append(self._sandbox.settle(intent_id))
            elif intent.status == "requires_action":
                outcome: Literal["succeeded", "failed"] = "succeeded" if self.final_status == "succeeded" else "failed"
                done.append(self._sandbox.complete_action(intent_id, outcome))
        return done


def confirmed_intents(sandbox: TestSandbox) -> list[str]:
    """The intents of the committed confirms in the journal, in the order they were confirmed."""
    seen: dict[str, None] = {}
    for entry in sandbox.requests(CONFIRM):
        if entry.committed:
            seen[entry.path.rstrip("/").split("/")[-2].lower()] = None
    return list(seen)


def check_payments(sandbox: TestSandbox, payments: int) -> None:
    """AssertionError naming the intents when more than `payments` confirms committed on intents not `failed`."""
    paid = []
    for intent_id in confirmed_intents(sandbox):
        intent = sandbox.sandbox.store.get(sandbox.client_id, intent_id)
        if intent is not None and intent.status != "failed":
            paid.append(f"{intent_id} ({intent.status})")
    if len(paid) > payments:
        raise AssertionError(
            f"{len(paid)} payments were confirmed, more than the {payments} of @pytest.mark.{MARKER}(payments="
            f"{payments}): {', '.join(paid)}"
        )
