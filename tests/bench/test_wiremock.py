"""bench/wiremock.py: WireMock stubs made from openapi.yaml."""

from __future__ import annotations

import base64
import re

from bench.wiremock import authorization, stub_mappings
from dots_spec.document import load_spec
from dots_spec.operations import operations

ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def test_one_stub_per_operation_with_its_method_and_basic_credentials() -> None:
    """Each spec operation has one stub: its method, Basic credentials to match, a 200 JSON answer."""
    spec = load_spec()
    mappings = stub_mappings(spec, "user", "pass")
    assert sorted(m["name"] for m in mappings) == sorted(op["operationId"] for _, _, op in operations(spec))
    for mapping in mappings:
        assert mapping["request"]["basicAuthCredentials"] == {"username": "user", "password": "pass"}
        assert mapping["response"]["status"] == 200
        assert mapping["response"]["headers"] == {"Content-Type": "application/json"}
        assert isinstance(mapping["response"]["jsonBody"], dict)


def test_path_patterns_match_the_paths_the_loads_send_and_nothing_more() -> None:
    """A `{parameter}` matches one path segment; the patterns tell create, retrieve and confirm apart."""
    patterns = {
        m["name"]: (m["request"]["method"], m["request"]["urlPathPattern"])
        for m in stub_mappings(load_spec(), "u", "p", "/api")
    }
    paths = {
        "create_payment_intent": ("POST", "/api/v2/payment-intents"),
        "retrieve_payment_intent": ("GET", f"/api/v2/payment-intents/{ID}"),
        "confirm_payment_intent": ("POST", f"/api/v2/payment-intents/{ID}/confirm"),
    }
    for name, (method, path) in paths.items():
        matching = [other for other, (m, pattern) in patterns.items() if m == method and re.fullmatch(pattern, path)]
        assert matching == [name]
    assert not re.fullmatch(patterns["retrieve_payment_intent"][1], f"/api/v2/payment-intents/{ID}/x")


def test_answers_are_the_specs_own_examples() -> None:
    """The create stub answers the spec's first 200 example of create, client_secret included."""
    spec = load_spec()
    create = next(m for m in stub_mappings(spec, "u", "p") if m["name"] == "create_payment_intent")
    examples = spec["paths"]["/v2/payment-intents"]["post"]["responses"]["200"]["content"]["application/json"][
        "examples"
    ]
    assert create["response"]["jsonBody"] == next(iter(examples.values()))["value"]
    assert "client_secret" in create["response"]["jsonBody"]


def test_authorization_is_the_basic_header_of_the_credentials() -> None:
    """The header the loads send is `Basic base64(user:password)`."""
    assert authorization("user", "pass") == "Basic " + base64.b64encode(b"user:pass").decode()
