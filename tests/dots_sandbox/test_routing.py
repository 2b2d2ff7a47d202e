"""Routes come from the spec's paths, under /api; a parameter is exactly one non-empty segment."""

from __future__ import annotations

import pytest

from dots_sandbox.routing import BASE_PATH, Router
from dots_sandbox.spec import load_spec, operations

ROUTER = Router(load_spec())
ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def test_every_spec_operation_has_a_route() -> None:
    """Each (method, path) in the spec is routed to its operationId under /api."""
    routed = {(method, route.template): op for route in ROUTER.routes for method, op in route.operations.items()}
    expected = {(method.upper(), BASE_PATH + path): op["operationId"] for path, method, op in operations()}
    assert routed == expected


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/api/v2/payment-intents", "/api/v2/payment-intents", {}),
        (f"/api/v2/payment-intents/{ID}", "/api/v2/payment-intents/{payment_intent_id}", {"payment_intent_id": ID}),
        (
            f"/api/v2/payment-intents/{ID}/confirm",
            "/api/v2/payment-intents/{payment_intent_id}/confirm",
            {"payment_intent_id": ID},
        ),
        (
            "/api/v2/payment-intents/x y\n",
            "/api/v2/payment-intents/{payment_intent_id}",
            {"payment_intent_id": "x y\n"},
        ),
    ],
)
def test_paths_match_with_their_parameters(path: str, template: str, params: dict[str, str]) -> None:
    """A request path finds its template and the raw parameter text (validated later, not here)."""
    found = ROUTER.match(path)
    assert found is not None
    assert (found[0].template, found[1]) == (template, params)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/api",
        "/v2/payment-intents",
        "/api/v2/payment-intents/",
        "/api/v2/payment-intents//confirm",
        f"/api/v2/payment-intents/{ID}/",
        f"/api/v2/payment-intents/{ID}/confirm/",
        f"/api/v2/payment-intents/{ID}/x/confirm",
        "/API/v2/payment-intents",
        "/api/v2/payment-intentsX",
    ],
)
def test_other_paths_do_not_match(path: str) -> None:
    """Trailing slashes, empty or extra segments, other prefixes and other case do not match."""
    assert ROUTER.match(path) is None


def test_allowed_methods_are_sorted() -> None:
    """A route's allowed methods (for 405's Allow header) are its spec methods, sorted."""
    assert [route.allowed for route in ROUTER.routes] == [("POST",), ("GET",), ("POST",)]


def test_a_path_with_several_methods_lists_them_all() -> None:
    """A spec path with GET and POST routes both and allows both."""
    spec = {"paths": {"/v2/things/{id}": {"post": {"operationId": "b"}, "get": {"operationId": "a"}}}}
    (route,) = Router(spec).routes
    assert route.operations == {"GET": "a", "POST": "b"}
    assert route.allowed == ("GET", "POST")
    assert Router(spec).match("/api/v2/things/7") == (route, {"id": "7"})
