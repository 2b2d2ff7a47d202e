"""The lifecycle rules the suite and the proxy share: each holds for a good answer and names a bad one."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests import lifecycle_rules
from contract_tests.lifecycle_rules import same_uuid
from contract_tests.spec_data import ALREADY_CONFIRMED_CODE, LATER_STATUSES, NOT_FOUND_MESSAGE, UNCONFIRMED_STATUSES

ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"
METHOD = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
INTENT: dict[str, Any] = {"id": ID, "amount": 5, "currency": "usd", "metadata": {"order": "1"}, "status": "initialized"}


def test_same_uuid_ignores_case_but_not_value() -> None:
    """UUIDs compare as UUIDs: case does not matter, anything else does."""
    upper = ID.upper()
    assert same_uuid(upper, upper.lower())
    assert not same_uuid(upper, "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e6")
    assert not same_uuid(None, upper)
    assert not same_uuid("not-a-uuid", "not-a-uuid")


def test_answers_the_named_intent_compares_uuids() -> None:
    """The path's id in another case is the same intent; another id, or none, is a problem naming both."""
    assert lifecycle_rules.answers_the_named_intent(ID.upper(), INTENT) is None
    problem = lifecycle_rules.answers_the_named_intent(METHOD, INTENT)
    assert problem is not None
    assert METHOD in problem.expected
    assert ID in problem.found
    assert lifecycle_rules.answers_the_named_intent(ID, {}) is not None


def test_confirmed_answer_holds_for_a_good_confirm() -> None:
    """A succeeded intent with the method sent, a transfer and no client_secret breaks no rule."""
    answer = {**INTENT, "status": "succeeded", "payment_method_id": METHOD.upper(), "transfer_id": ID}
    assert lifecycle_rules.confirmed_answer({"payment_method_id": METHOD}, answer) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"payment_method_id": ID}, "payment_method_id"),
        ({"status": "initialized"}, "confirmed status"),
        ({"client_secret": "pi_secret_x"}, "client_secret"),
        ({"transfer_id": None}, "transfer_id"),
    ],
)
def test_confirmed_answer_names_each_broken_rule(change: dict[str, Any], expected: str) -> None:
    """Another payment method, an unconfirmed status, a client_secret, a succeeded without transfer: each named."""
    answer = {**INTENT, "status": "succeeded", "payment_method_id": METHOD, "transfer_id": ID, **change}
    answer = {key: value for key, value in answer.items() if value is not None}
    problems = lifecycle_rules.confirmed_answer({"payment_method_id": METHOD}, answer)
    assert len(problems) == 1
    assert expected in problems[0].expected


def test_refused_as_already_confirmed_refuses_a_200_and_a_wrong_code() -> None:
    """A second confirm's 200 and a 409 with another code are problems; the spec's 409, or a 503, are not."""
    assert lifecycle_rules.refused_as_already_confirmed(409, {"error": "x", "code": ALREADY_CONFIRMED_CODE}) is None
    assert lifecycle_rules.refused_as_already_confirmed(409, {"error": "x"}) is None
    assert lifecycle_rules.refused_as_already_confirmed(503, {"error": "x"}) is None
    assert str(lifecycle_rules.refused_as_already_confirmed(200, INTENT)).endswith("found 200")
    assert lifecycle_rules.refused_as_already_confirmed(409, {"error": "x", "code": "conflict"}) is not None


def test_not_found_body_is_dots_own() -> None:
    """Only Dots' documented 404 body passes (the code, when present, is not-found)."""
    assert lifecycle_rules.not_found_body({"error": NOT_FOUND_MESSAGE}) is None
    assert lifecycle_rules.not_found_body({"error": NOT_FOUND_MESSAGE, "code": "not-found"}) is None
    assert lifecycle_rules.not_found_body({"error": "Not found"}) is not None
    assert lifecycle_rules.not_found_body({"error": NOT_FOUND_MESSAGE, "code": "missing"}) is not None
    assert lifecycle_rules.not_found_body("PaymentIntent not found") is not None


@pytest.mark.parametrize(
    "after",
    [
        {**INTENT, "amount": 6},
        {**INTENT, "currency": "eur"},
        {key: value for key, value in INTENT.items() if key != "metadata"},
        {**INTENT, "metadata": {}},
        {**INTENT, "user_id": METHOD},
    ],
)
def test_kept_fields_names_a_changed_dropped_or_added_field(after: dict[str, Any]) -> None:
    """amount, currency, user_id and metadata never change, appear or vanish."""
    assert lifecycle_rules.kept_fields(INTENT, after) is not None


def test_kept_fields_allows_what_may_change() -> None:
    """status, transfer_id and payment_method_id may change; user_id in another case is the same."""
    before = {**INTENT, "user_id": METHOD}
    after = {**before, "user_id": METHOD.upper(), "status": "succeeded", "transfer_id": ID, "payment_method_id": ID}
    assert lifecycle_rules.kept_fields(before, after) is None


def test_allowed_transition_follows_the_spec() -> None:
    """Unconfirmed leave for good; processing and requires_action move on to LATER_STATUSES; the rest are final."""
    for was in UNCONFIRMED_STATUSES:
        assert lifecycle_rules.allowed_transition(was, "succeeded") is None
        assert lifecycle_rules.allowed_transition(was, was) is None
        others = UNCONFIRMED_STATUSES - {was}
        assert all(lifecycle_rules.allowed_transition(was, now) is not None for now in others)
    for was, later in LATER_STATUSES.items():
        assert all(lifecycle_rules.allowed_transition(was, now) is None for now in later)
        assert lifecycle_rules.allowed_transition(was, "initialized") is not None
    assert lifecycle_rules.allowed_transition("succeeded", "failed") is not None
    assert lifecycle_rules.allowed_transition("failed", "processing") is not None
