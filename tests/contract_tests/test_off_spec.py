"""contract_tests.off_spec: each kind of off-spec answer is drawn where the schema admits it, and is off-spec."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests.off_spec import TOLERATED, UNREADABLE, Kind, OffSpecAnswer, off_spec_answers
from contract_tests.spec_data import spec_operations
from dots_spec.document import load_spec
from dots_spec.validators import compile_schema

SPEC = load_spec()
INTENT = ("retrieve_payment_intent", 200)
ERROR = ("confirm_payment_intent", 409)


def _kinds_drawn(operation_id: str, status: int) -> set[Kind]:
    """The kinds among 150 answers drawn (derandomised: the same every run)."""
    seen: set[Kind] = set()

    @settings(max_examples=150, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
    @given(answer=off_spec_answers(operation_id, status))
    def draw(answer: OffSpecAnswer) -> None:
        seen.add(answer.kind)

    draw()
    return seen


def test_every_kind_is_drawn_for_a_payment_intent() -> None:
    """A PaymentIntent answer (enums, optional fields, nested objects) gets every kind."""
    assert _kinds_drawn(*INTENT) == set(Kind)


def test_no_unknown_enum_value_where_the_schema_has_no_enum() -> None:
    """The Error schema has no enum: every other kind, and no answer claiming an unknown enum value."""
    assert _kinds_drawn(*ERROR) == set(Kind) - {Kind.UNKNOWN_ENUM_VALUE}


def _schema_errors(operation_id: str, status: int, answer: OffSpecAnswer) -> list[str]:
    schema = spec_operations()[operation_id].responses[status]
    return [error.message for error in compile_schema(schema, SPEC).iter_errors(json.loads(answer.content))]


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(target=st.sampled_from([INTENT, ERROR]), data=st.data())
def test_answers_are_off_spec(target: tuple[str, int], data: st.DataObject) -> None:
    """JSON answers break the schema (an unknown field aside: these objects are open); the rest is not JSON."""
    answer = data.draw(off_spec_answers(*target), label="answer")
    if answer.kind in UNREADABLE:
        with pytest.raises(ValueError, match=r".|^$"):
            json.loads(answer.content)
    elif answer.kind is Kind.UNKNOWN_FIELD:
        assert _schema_errors(*target, answer) == []
    else:
        assert _schema_errors(*target, answer) != [], answer


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_tolerated_answers_say_what_the_reader_must_give_back(data: st.DataObject) -> None:
    """The expected JSON is the body, less the field set to null; only tolerated kinds carry one."""
    answer = data.draw(off_spec_answers(*INTENT), label="answer")
    if answer.kind not in TOLERATED:
        assert answer.expected is None
        return
    body = json.loads(answer.content)
    if answer.kind is Kind.NULL_IN_OPTIONAL_FIELD:
        name = answer.where.rsplit("/", 1)[-1]
        assert body[name] is None  # PaymentIntent's optional fields are all at the top level
        body.pop(name)
    assert answer.expected == body
