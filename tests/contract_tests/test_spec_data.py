"""What the suite reads from openapi.yaml, and the strategies it derives from it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests.spec_data import (
    LATER_STATUSES,
    UNCONFIRMED_STATUSES,
    request_bodies,
    response_bodies,
    spec_operations,
)
from dots_spec.document import load_spec
from dots_spec.validators import compile_schema

SPEC = load_spec()
OPERATIONS = spec_operations()
DOCUMENTED = [(op_id, status) for op_id, op in OPERATIONS.items() for status in op.responses]
GENERATION = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_operations_are_read_from_the_spec() -> None:
    """Each operation keeps its method, path, tag, path parameters, request schema, statuses and Basic security."""
    assert {op.label for op in OPERATIONS.values()} == {
        "POST /v2/payment-intents",
        "GET /v2/payment-intents/{payment_intent_id}",
        "POST /v2/payment-intents/{payment_intent_id}/confirm",
    }
    confirm = OPERATIONS["confirm_payment_intent"]
    assert confirm.tag == "payment-intents"
    assert list(confirm.path_parameters) == ["payment_intent_id"]
    assert confirm.request_schema == {"$ref": "#/components/schemas/ConfirmPaymentIntentRequest"}
    assert sorted(confirm.responses) == [200, 400, 401, 404, 409, 413, 415, 503]
    assert confirm.request_example == {"payment_method_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}
    assert OPERATIONS["retrieve_payment_intent"].request_schema is None
    for op in OPERATIONS.values():
        assert op.security_schemes == [SPEC["components"]["securitySchemes"]["basicAuth"]]


def test_path_regex_matches_concrete_paths_only() -> None:
    """The path pattern captures each parameter and matches nothing longer."""
    confirm = OPERATIONS["confirm_payment_intent"]
    match = confirm.path_regex().match(confirm.url_path(payment_intent_id="abc"))
    assert match is not None
    assert match["payment_intent_id"] == "abc"
    assert confirm.path_regex().match("/v2/payment-intents/abc/confirm/x") is None
    assert OPERATIONS["retrieve_payment_intent"].path_regex().match("/v2/payment-intents/a/confirm") is None


def test_unconfirmed_statuses_are_documented_statuses() -> None:
    """The four unconfirmed statuses are values of PaymentIntentStatus."""
    assert set(SPEC["components"]["schemas"]["PaymentIntentStatus"]["enum"]) >= UNCONFIRMED_STATUSES
    assert len(UNCONFIRMED_STATUSES) == 4


def test_later_statuses_are_the_lifecycle_paragraphs() -> None:
    """LATER_STATUSES is what the spec's Later outcomes paragraph says: processing and requires_action move on
    to succeeded or failed, all documented statuses, none unconfirmed."""
    description = SPEC["info"]["description"]
    later = description[description.index("**Later outcomes.**") :].split("\n\n")[0]
    documented = set(SPEC["components"]["schemas"]["PaymentIntentStatus"]["enum"])
    for status, targets in LATER_STATUSES.items():
        assert f"`{status}`" in later
        assert status in documented
        for target in targets:
            assert f"`{target}`" in later
        assert targets <= documented - UNCONFIRMED_STATUSES - set(LATER_STATUSES)


@GENERATION
@given(data=st.data())
def test_request_bodies_are_valid_requests(data: st.DataObject) -> None:
    """Drawn request bodies validate against the operation's request schema."""
    for op in OPERATIONS.values():
        if op.request_schema is not None:
            body = data.draw(request_bodies(op.operation_id))
            assert compile_schema(op.request_schema, SPEC).is_valid(body), body


@GENERATION
@given(data=st.data())
def test_response_bodies_are_valid_for_their_status(data: st.DataObject) -> None:
    """Drawn response bodies validate against the schema documented for their status."""
    op_id, status = data.draw(st.sampled_from(DOCUMENTED))
    body: Any = data.draw(response_bodies(op_id, status))
    assert compile_schema(OPERATIONS[op_id].responses[status], SPEC).is_valid(body), body
