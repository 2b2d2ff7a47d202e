"""dots_spec/operations.py: every operation of the spec, once."""

from __future__ import annotations

from dots_spec.document import load_spec
from dots_spec.operations import HTTP_METHODS, operations


def test_the_spec_has_its_three_operations() -> None:
    """openapi.yaml's operations come out in file order with their operationIds."""
    assert [(path, method, op["operationId"]) for path, method, op in operations()] == [
        ("/v2/payment-intents", "post", "create_payment_intent"),
        ("/v2/payment-intents/{payment_intent_id}", "get", "retrieve_payment_intent"),
        ("/v2/payment-intents/{payment_intent_id}/confirm", "post", "confirm_payment_intent"),
    ]
    assert list(operations(load_spec())) == list(operations())


def test_only_http_methods_are_operations() -> None:
    """Path-item fields that are not methods (parameters, summary) are skipped; every method is seen."""
    item = {method: {"operationId": method} for method in HTTP_METHODS}
    spec = {"paths": {"/x": {"parameters": [], "summary": "s", **item}}}
    assert [method for _, method, _ in operations(spec)] == list(HTTP_METHODS)


def test_a_document_without_paths_has_no_operations() -> None:
    """No `paths` (or an empty one) yields nothing rather than failing."""
    assert list(operations({"openapi": "3.1.0"})) == []
    assert list(operations({"paths": None})) == []
