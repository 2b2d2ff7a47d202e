"""tools/breaking/schemas/enums.py: enum values added or removed, by direction."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dots_client import AuthenticatedClient
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, PaymentIntent, PaymentIntentStatus

from dots_spec.document import SPEC_PATH, load_spec
from tests.tools.breaking.catalogue import CATALOGUE, STATUS, Case, append, assert_verdict, edited_spec, ids
from tools.breaking.compare import compare
from tools.breaking.model import Severity


@pytest.mark.parametrize("item", CATALOGUE["schemas.enums"], ids=ids(CATALOGUE["schemas.enums"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


INTENT_JSON = {"id": str(uuid.uuid4()), "amount": 1000, "currency": "usd", "status": "succeeded"}


def test_generated_client_keeps_unknown_enum_value() -> None:
    """From dots-client 1.1.0, PaymentIntent.from_dict keeps a status it does not know as the plain string."""
    assert issubclass(PaymentIntentStatus, str)
    intent = PaymentIntent.from_dict({**INTENT_JSON, "status": "refunded"})
    assert intent.status == "refunded"
    assert not isinstance(intent.status, PaymentIntentStatus)


def test_generated_operation_returns_unknown_enum_value() -> None:
    """confirm_payment_intent.sync returns the intent with the new status: the caller gets its result."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={**INTENT_JSON, "status": "refunded"}))
    client = AuthenticatedClient.basic_auth("https://dots.test/api", "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    parsed = confirm_payment_intent.sync(uuid.uuid4(), client=client, body=body)
    assert isinstance(parsed, PaymentIntent)
    assert parsed.status == "refunded"


@pytest.fixture(scope="module")
def client_before_1_1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[types.ModuleType]:
    """The spec's client generated with openapi-python-client's stock model templates, as dots-client 1.0.0 was.

    It is imported as `dots_client_stock` (so it does not shadow the installed dots_client).
    """
    out = tmp_path_factory.mktemp("before-1.1")
    config = out / "config.yaml"
    config.write_text("package_name_override: dots_client_stock\npost_hooks: []\n", encoding="utf-8")
    generator = Path(sys.executable).parent / "openapi-python-client"
    command = [str(generator), "generate", "--path", str(SPEC_PATH), "--config", str(config), "--meta", "none"]
    subprocess.run([*command, "--output-path", str(out / "dots_client_stock")], check=True, capture_output=True)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("dots_client_stock")
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.split(".")[0] == "dots_client_stock"]:
            del sys.modules[name]


def test_clients_generated_before_1_1_raise_on_unknown_enum_value(client_before_1_1: types.ModuleType) -> None:
    """A stock-generated client's StrEnum raises ValueError and sync() lets it escape: the rule stays breaking."""
    models = importlib.import_module("dots_client_stock.models")
    confirm = importlib.import_module("dots_client_stock.api.payment_intents.confirm_payment_intent")
    with pytest.raises(ValueError, match="'refunded' is not a valid PaymentIntentStatus"):
        models.PaymentIntent.from_dict({**INTENT_JSON, "status": "refunded"})
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={**INTENT_JSON, "status": "refunded"}))
    client = client_before_1_1.AuthenticatedClient(
        base_url="https://dots.test/api", token="aWQ6a2V5", prefix="Basic", httpx_args={"transport": transport}
    )
    body = models.ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
    with pytest.raises(ValueError, match="refunded"):
        confirm.sync(uuid.uuid4(), client=client, body=body)
    changes = compare(load_spec(), edited_spec([append((*STATUS, "enum"), "refunded")]))
    assert {(change.rule, change.severity) for change in changes} == {("response-enum-value-added", Severity.BREAKING)}
    assert all("dots-client before 1.1.0 raises ValueError" in change.message for change in changes)
