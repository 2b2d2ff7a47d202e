"""Raw calls to the operations keep a transcript that explains and reproduces a failure."""

from __future__ import annotations

import json

import httpx
import pytest

from contract_tests.api import Api, not_moved_on


def test_api_sends_operations_and_explains_them_with_curl() -> None:
    """Each call hits the spec's path; explain() lists every exchange and a curl command for each."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5", "amount": 1, "currency": "usd"})

    with httpx.Client(
        base_url="http://h/api/", transport=httpx.MockTransport(handler), auth=("id", "s3cret")
    ) as client:
        api = Api(client)
        intent = api.created({"amount": 1, "currency": "usd"})
        api.confirm(intent["id"], {"payment_method_id": intent["id"]})
        api.retrieve(intent["id"])
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/api/v2/payment-intents"),
        ("POST", f"/api/v2/payment-intents/{intent['id']}/confirm"),
        ("GET", f"/api/v2/payment-intents/{intent['id']}"),
    ]
    assert json.loads(seen[1].content) == {"payment_method_id": intent["id"]}
    explanation = api.explain("something broke")
    assert explanation.startswith("something broke\n")
    assert explanation.count("    curl -X ") == 3
    assert "s3cret" not in explanation
    assert "Authorization" not in explanation


_BEFORE = {"id": "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5", "amount": 5, "currency": "usd", "metadata": {}}
_TRANSFER = "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({**_BEFORE, "status": "succeeded", "transfer_id": _TRANSFER}, None),
        ({**_BEFORE, "status": "processing"}, {**_BEFORE, "status": "succeeded", "transfer_id": _TRANSFER}),
        ({**_BEFORE, "status": "processing"}, {**_BEFORE, "status": "failed"}),
        ({**_BEFORE, "status": "requires_action"}, {**_BEFORE, "status": "succeeded", "transfer_id": _TRANSFER}),
        ({**_BEFORE, "status": "requires_action"}, {**_BEFORE, "status": "failed"}),
    ],
)
def test_the_same_intent_or_a_later_outcome_passes(before: dict[str, object], after: dict[str, object] | None) -> None:
    """An unchanged intent, or processing/requires_action settled to succeeded (with a transfer) or failed."""
    assert not_moved_on(before, before if after is None else after) is None


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ({**_BEFORE, "status": "succeeded"}, {**_BEFORE, "status": "failed"}, "no later outcome"),
        ({**_BEFORE, "status": "processing"}, {**_BEFORE, "status": "initialized"}, "no later outcome"),
        ({**_BEFORE, "status": "failed"}, {**_BEFORE, "status": "failed", "amount": 6}, "no later outcome"),
        ({**_BEFORE, "status": "processing"}, {**_BEFORE, "status": "failed", "amount": 6}, "other than status"),
        ({**_BEFORE, "status": "processing"}, {**_BEFORE, "status": "succeeded"}, "without a transfer_id"),
        (
            {**_BEFORE, "status": "requires_action", "transfer_id": _TRANSFER},
            {**_BEFORE, "status": "succeeded", "transfer_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
            "changed the transfer_id",
        ),
    ],
)
def test_anything_else_is_explained(before: dict[str, object], after: dict[str, object], reason: str) -> None:
    """A final status that changed, a step back, another field changed, or a success without a transfer fails."""
    problem = not_moved_on(before, after)
    assert problem is not None
    assert reason in problem
