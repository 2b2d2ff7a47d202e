"""Routes come from the spec's paths, under /api; a parameter is exactly one non-empty segment."""

from __future__ import annotations

import pytest

from dots_sandbox.request.routing import BASE_PATH, Router
from dots_spec.document import load_spec
from dots_spec.operations import operations

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


CONFIRM = "/api/v2/payment-intents/{payment_intent_id}/confirm"
RETRIEVE = "/api/v2/payment-intents/{payment_intent_id}"


@pytest.mark.parametrize(
    ("raw_path", "template", "params"),
    [
        (f"/api/v2/payment-intents/{ID}/confirm".encode(), CONFIRM, {"payment_intent_id": ID}),
        (f"/api/v2/payment-intents/{ID}%2Fconfirm".encode(), RETRIEVE, {"payment_intent_id": f"{ID}/confirm"}),
        (f"/api/v2/payment-intents/{ID}%2fconfirm".encode(), RETRIEVE, {"payment_intent_id": f"{ID}/confirm"}),
        (b"/api/v2/payment-intents/a%2F%2Fb", RETRIEVE, {"payment_intent_id": "a//b"}),
        (b"/api/v2/payment-intents/%2F", RETRIEVE, {"payment_intent_id": "/"}),
        (b"/api/v2/payment%2Dintents/%41%20b/confirm", CONFIRM, {"payment_intent_id": "A b"}),
        (b"/api/v2/payment-intents/%E2%82%AC%FF", RETRIEVE, {"payment_intent_id": "\u20ac\ufffd"}),
        (b"/api/v2/payment-intents/%zz%", RETRIEVE, {"payment_intent_id": "%zz%"}),
        (b"/api/v2/payment-intents/x?y=/confirm%2F", RETRIEVE, {"payment_intent_id": "x"}),
    ],
)
def test_raw_paths_are_split_before_decoding(raw_path: bytes, template: str, params: dict[str, str]) -> None:
    """A raw path is split on `/` first and each segment percent-decoded after: `%2F` stays inside its segment."""
    found = ROUTER.match_raw(raw_path)
    assert found is not None
    assert (found[0].template, found[1]) == (template, params)


@pytest.mark.parametrize(
    "raw_path", [b"/api%2Fv2/payment-intents", b"/api/v2%2Fpayment-intents", b"/api/v2/payment-intents%2F", b"%2F"]
)
def test_encoded_slashes_never_separate_segments(raw_path: bytes) -> None:
    """An encoded slash in a literal part of the path makes it another (unknown) segment, not two."""
    assert ROUTER.match_raw(raw_path) is None


def test_a_parameter_must_be_a_whole_segment() -> None:
    """A template with a parameter inside a segment is refused at start-up rather than matched wrongly."""
    with pytest.raises(NotImplementedError, match="whole segment"):
        Router({"paths": {"/v2/files/{name}.json": {"get": {"operationId": "a"}}}})


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
