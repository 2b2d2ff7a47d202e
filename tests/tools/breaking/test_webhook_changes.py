"""tools/breaking/webhooks.py: webhooks compared in the reverse direction (the API sends, the receiver answers).

(Named apart from tests/dots_sandbox/background/test_webhooks.py: pytest needs unique test file basenames.)
"""

from __future__ import annotations

import json
import uuid

import pytest
from dots_client.models import PaymentIntentUpdatedEvent
from dots_client.models.payment_intent_updated_event_event import PaymentIntentUpdatedEventEvent

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import CATALOGUE, EVENT, Case, append, assert_verdict, edited_spec, ids
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


def test_a_new_payload_enum_value_stays_breaking_for_older_receivers() -> None:
    """From 1.3.0.3 the payload model keeps an unknown `event` as a str; before, it raised: the gate says so."""
    body = {"event": "payment_intent.updated", "payment_intent_id": str(uuid.uuid4())}
    assert PaymentIntentUpdatedEvent.from_dict(body).to_dict() == body
    newer = PaymentIntentUpdatedEvent.from_dict({**body, "event": "payment_intent.created"})
    assert newer.event == "payment_intent.created"
    assert not isinstance(newer.event, PaymentIntentUpdatedEventEvent)
    # dots-client up to 1.3.0.2 read the field as `PaymentIntentUpdatedEventEvent(d.pop("event"))`: this call.
    with pytest.raises(ValueError, match=r"payment_intent\.created"):
        PaymentIntentUpdatedEventEvent("payment_intent.created")
    extra = PaymentIntentUpdatedEvent.from_dict({**body, "status": "succeeded"})  # an added field is kept, not fatal
    assert json.loads(json.dumps(extra.to_dict()))["status"] == "succeeded"
    edit = [append((*EVENT, "properties", "event", "enum"), "payment_intent.created")]
    changes = compare(load_spec(), edited_spec(edit))
    assert {(change.rule, change.severity) for change in changes} == {("response-enum-value-added", Severity.BREAKING)}
    assert all("dots-client before 1.3.0.3 raises ValueError" in change.message for change in changes)
