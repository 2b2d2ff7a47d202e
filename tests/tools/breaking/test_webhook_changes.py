"""tools/breaking/webhooks.py: webhooks compared in the reverse direction (the API sends, the receiver answers).

(Named apart from tests/dots_sandbox/background/test_webhooks.py: pytest needs unique test file basenames.)
"""

from __future__ import annotations

import json
import uuid

import pytest
from catalogue import CATALOGUE, Case, assert_verdict, ids
from dots_client.models import PaymentIntentUpdatedEvent

from tools.breaking.compare import compare
from tools.breaking.model import Severity
from tools.breaking.webhooks import keyed_webhooks


@pytest.mark.parametrize("item", CATALOGUE["webhooks"], ids=ids(CATALOGUE["webhooks"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_webhooks_are_keyed_by_name_and_method() -> None:
    """keyed_webhooks finds each webhook operation with its pointer; a spec without webhooks has none."""
    spec = {"webhooks": {"a.b": {"post": {}, "summary": "x"}, "c/d": {"put": {}}}}
    assert keyed_webhooks(spec) == {
        ("a.b", "post"): ({"post": {}, "summary": "x"}, "#/webhooks/a.b"),
        ("c/d", "put"): ({"put": {}}, "#/webhooks/c~1d"),
    }
    assert keyed_webhooks({"paths": {}}) == {}


def test_webhook_docs_changes_are_documentation_only() -> None:
    """A changed webhook description is non-breaking."""
    old = {"webhooks": {"e": {"post": {"description": "a", "responses": {"2XX": {"description": "ok"}}}}}}
    new = {"webhooks": {"e": {"post": {"description": "b", "responses": {"2XX": {"description": "ok!"}}}}}}
    changes = compare(old, new)
    assert {(c.rule, c.severity) for c in changes} == {("docs-changed", Severity.NON_BREAKING)}
    assert {c.pointer for c in changes} == {
        "#/webhooks/e/post/description",
        "#/webhooks/e/post/responses/2XX/description",
    }


def test_a_new_payload_enum_value_breaks_the_generated_model() -> None:
    """Why an added `event` value is breaking: the generated payload model raises on a value it does not know."""
    body = {"event": "payment_intent.updated", "payment_intent_id": str(uuid.uuid4())}
    assert PaymentIntentUpdatedEvent.from_dict(body).to_dict() == body
    with pytest.raises(ValueError, match=r"payment_intent\.created"):
        PaymentIntentUpdatedEvent.from_dict({**body, "event": "payment_intent.created"})
    extra = PaymentIntentUpdatedEvent.from_dict({**body, "status": "succeeded"})  # an added field is kept, not fatal
    assert json.loads(json.dumps(extra.to_dict()))["status"] == "succeeded"
