"""tools/breaking/responses.py: statuses added or removed, headers."""

from __future__ import annotations

import uuid

import httpx
import pytest
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest

from tests.tools.breaking.catalogue import (
    CATALOGUE,
    RULE_PAIRS,
    Case,
    RulePair,
    assert_rule_pair,
    assert_verdict,
    ids,
    rule_ids,
)


@pytest.mark.parametrize("item", CATALOGUE["responses"], ids=ids(CATALOGUE["responses"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_generated_client_returns_none_on_undocumented_status() -> None:
    """An undocumented status parses to None (so a new error status changes nothing a caller handles)."""
    transport = httpx.MockTransport(lambda _: httpx.Response(429, json={"error": "slow down"}))
    client = AuthenticatedClient.basic_auth("https://dots.test/api", "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    assert confirm_payment_intent.sync(uuid.uuid4(), client=client, body=body) is None


@pytest.mark.parametrize("item", RULE_PAIRS["responses"], ids=rule_ids(RULE_PAIRS["responses"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
