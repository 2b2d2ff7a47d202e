"""What a schema cannot say: the lifecycle openapi.yaml describes, as properties over generated requests.

Request bodies are drawn by schemathesis from the spec's request schemas and sent over plain
HTTP. Each property holds for any server that implements the spec, Dots included: nothing here
relies on the sandbox's magic payment methods (those are the sandbox's own tests). The rules an
answer must hold are `contract_tests.lifecycle_rules`'s, the ones the validating proxy applies to real
traffic (`python -m contract_tests.proxy`). An intent that
confirm left `processing` or `requires_action` may move on at any moment (openapi.yaml, Later
outcomes), so answers over time are compared with `not_moved_on`, never for equality alone.
"""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from dots_spec.document import load_spec

from . import lifecycle_rules
from .api import Api, not_moved_on
from .spec_data import UNCONFIRMED_STATUSES, request_bodies

STATUSES = frozenset(load_spec()["components"]["schemas"]["PaymentIntentStatus"]["enum"])
CREATE = request_bodies("create_payment_intent")
# Created without `confirm: true`, so the intent starts unconfirmed and the confirm operation decides.
UNCONFIRMED_CREATE = CREATE.map(lambda body: {**body, "confirm": False} if body.get("confirm") else body)
CONFIRM = request_bodies("confirm_payment_intent")


def _stored(intent: dict[str, Any]) -> dict[str, Any]:
    """What retrieve must answer for an intent create answered: everything but client_secret."""
    return {key: value for key, value in intent.items() if key != "client_secret"}


def _confirmed(api: Api, intent_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.confirm(intent_id, body)
    assert response.status_code == 200, api.explain(f"confirm answered {response.status_code}, not 200")
    answer: dict[str, Any] = response.json()
    return answer


@given(body=CREATE)
def test_create_answers_what_was_sent(http: httpx.Client, body: dict[str, Any]) -> None:
    """create answers the amount, currency, metadata, user and payment method sent, in the status the spec decides."""
    api = Api(http)
    intent = api.created(body)
    problems = lifecycle_rules.created_as_sent(body, intent)
    assert not problems, api.explain("create changed what was sent: " + "; ".join(map(str, problems)))
    assert intent.get("status") in STATUSES, api.explain(f"create answered status {intent.get('status')!r}")
    problem = lifecycle_rules.created_status(body, intent)
    assert problem is None, api.explain(f"create answered the wrong status: {problem}")


@given(body=CREATE)
def test_retrieve_returns_what_create_stored(http: httpx.Client, body: dict[str, Any]) -> None:
    """retrieve answers what create answered, minus client_secret, whatever the case of the id."""
    api = Api(http)
    intent = api.created(body)
    for spelling in (intent["id"], str(intent["id"]).upper()):
        response = api.retrieve(spelling)
        assert response.status_code == 200, api.explain(f"retrieve answered {response.status_code}, not 200")
        problem = not_moved_on(_stored(intent), response.json())
        assert problem is None, api.explain(f"retrieve differs from what create answered: {problem}")


@given(first=UNCONFIRMED_CREATE, second=UNCONFIRMED_CREATE, confirm=CONFIRM, pick_first=st.booleans())
def test_confirm_acts_on_the_intent_named_in_the_path(
    http: httpx.Client, first: dict[str, Any], second: dict[str, Any], confirm: dict[str, Any], pick_first: bool
) -> None:
    """confirm answers the intent its path names, and leaves every other intent as it was."""
    api = Api(http)
    intents = [api.created(first), api.created(second)]
    named, other = intents if pick_first else intents[::-1]
    answer = _confirmed(api, named["id"], confirm)
    problem = lifecycle_rules.answers_the_named_intent(named["id"], answer)
    assert problem is None, api.explain(f"confirm answered another intent: {problem}")
    response = api.retrieve(other["id"])
    assert response.status_code == 200, api.explain(f"retrieve answered {response.status_code}, not 200")
    assert response.json() == _stored(other), api.explain("confirming one intent changed another")


@given(body=UNCONFIRMED_CREATE, confirm=CONFIRM)
def test_confirm_keeps_amount_currency_and_metadata(
    http: httpx.Client, body: dict[str, Any], confirm: dict[str, Any]
) -> None:
    """confirm never changes amount, currency, user_id or metadata."""
    api = Api(http)
    intent = api.created(body)
    answer = _confirmed(api, intent["id"], confirm)
    changed = lifecycle_rules.kept_fields(intent, answer)
    assert changed is None, api.explain(f"confirm changed {getattr(changed, 'about', '')}: {changed}")


@given(body=UNCONFIRMED_CREATE, confirm=CONFIRM)
def test_confirm_records_the_payment_method_sent(
    http: httpx.Client, body: dict[str, Any], confirm: dict[str, Any]
) -> None:
    """The confirmed intent's payment_method_id is the one confirm sent (replacing one given at create)."""
    api = Api(http)
    intent = api.created(body)
    answer = _confirmed(api, intent["id"], confirm)
    problem = lifecycle_rules.records_the_payment_method(confirm, answer)
    assert problem is None, api.explain(f"confirm did not record the payment_method_id sent: {problem}")


@given(body=UNCONFIRMED_CREATE, confirm=CONFIRM)
def test_confirm_moves_the_intent_out_of_the_unconfirmed_statuses(
    http: httpx.Client, body: dict[str, Any], confirm: dict[str, Any]
) -> None:
    """confirm leaves the unconfirmed statuses for a documented one (succeeded with a transfer), no client_secret."""
    api = Api(http)
    intent = api.created(body)
    assert intent.get("status") in UNCONFIRMED_STATUSES, api.explain("a new intent is not unconfirmed")
    answer = _confirmed(api, intent["id"], confirm)
    status = answer.get("status")
    assert status in STATUSES, api.explain(f"confirm left the intent in an undocumented status {status!r}")
    for rule in (
        lifecycle_rules.leaves_the_unconfirmed_statuses,
        lifecycle_rules.no_client_secret,
        lifecycle_rules.succeeded_with_a_transfer,
    ):
        problem = rule(answer)
        assert problem is None, api.explain(f"confirm's answer: {problem}")


@given(body=UNCONFIRMED_CREATE, first=CONFIRM, second=CONFIRM)
def test_second_confirm_is_rejected_as_already_confirmed(
    http: httpx.Client, body: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Confirming a confirmed intent answers 409 payment-intent-already-confirmed and changes nothing."""
    api = Api(http)
    intent = api.created(body)
    answer = _confirmed(api, intent["id"], first)
    again = api.confirm(intent["id"], second)
    assert again.status_code == 409, api.explain(f"a second confirm answered {again.status_code}, not 409")
    error = again.json()
    assert isinstance(error.get("error"), str), api.explain("the 409 body has no error message")
    refused = lifecycle_rules.refused_as_already_confirmed(again.status_code, error)
    assert refused is None, api.explain(f"wrong 409: {refused}")
    response = api.retrieve(intent["id"])
    problem = not_moved_on(answer, response.json())
    assert problem is None, api.explain(f"the rejected confirm changed the intent: {problem}")


@given(body=UNCONFIRMED_CREATE, confirm=CONFIRM)
def test_retrieve_after_confirm_agrees_with_confirm(
    http: httpx.Client, body: dict[str, Any], confirm: dict[str, Any]
) -> None:
    """retrieve after confirm answers what confirm answered, or a later outcome of it (nothing else changed)."""
    api = Api(http)
    intent = api.created(body)
    answer = _confirmed(api, intent["id"], confirm)
    response = api.retrieve(intent["id"])
    assert response.status_code == 200, api.explain(f"retrieve answered {response.status_code}, not 200")
    problem = not_moved_on(answer, response.json())
    assert problem is None, api.explain(f"retrieve disagrees with confirm's answer: {problem}")


@given(intent_id=st.uuids(), confirm=CONFIRM)
def test_unknown_ids_are_not_found(http: httpx.Client, intent_id: Any, confirm: dict[str, Any]) -> None:
    """retrieve and confirm of an id nothing was created with answer 404 with Dots' message."""
    api = Api(http)
    for response in (api.retrieve(str(intent_id)), api.confirm(str(intent_id), confirm)):
        assert response.status_code == 404, api.explain(f"an unknown id answered {response.status_code}, not 404")
        problem = lifecycle_rules.not_found_body(response.json())
        assert problem is None, api.explain(f"the 404 body is not Dots' own: {problem}")
