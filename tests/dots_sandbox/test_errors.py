"""Error answers: every constructor gives JSON of the spec's Error schema with its documented code."""

from __future__ import annotations

import json

import pytest

from dots_sandbox import errors
from dots_spec.document import load_spec
from dots_spec.validators import component_validator

ERROR = component_validator("Error")

ALL = [
    errors.invalid_input([("body.amount", "0 is less than or equal to the minimum of 0")]),
    errors.unauthorized(),
    errors.not_found(),
    errors.method_not_allowed("DELETE", ["GET"]),
    errors.already_confirmed(),
    errors.payload_too_large(262_144),
    errors.unsupported_media_type(),
    errors.incomplete_body("The body did not arrive in full within 30 seconds"),
    errors.internal_error(),
]


@pytest.mark.parametrize("error", ALL, ids=[error.code for error in ALL])
def test_bodies_are_valid_error_json(error: errors.ApiError) -> None:
    """The body is ASCII JSON valid against the Error schema, with the error's code and message."""
    body = json.loads(error.body().decode("ascii"))
    assert ERROR.is_valid(body)
    assert (body["error"], body["code"]) == (error.message, error.code)


def test_codes_are_the_ones_the_spec_lists() -> None:
    """Every code but internal-error is listed in the spec's Error.code description."""
    listed = load_spec()["components"]["schemas"]["Error"]["properties"]["code"]["description"]
    for error in ALL[:-1]:
        assert f"`{error.code}`" in listed


def test_statuses_and_headers() -> None:
    """401 carries the Basic challenge, 405 the Allow header; each error has its HTTP status."""
    assert [error.status for error in ALL] == [400, 401, 404, 405, 409, 413, 415, 400, 500]
    assert errors.unauthorized().headers == ((b"www-authenticate", b'Basic realm="dots"'),)
    assert errors.method_not_allowed("PUT", ["GET", "POST"]).headers == ((b"allow", b"GET, POST"),)


def test_an_incomplete_body_is_invalid_input_that_closes_the_connection() -> None:
    """A body that did not arrive is 400 invalid-input at `body`, with `Connection: close` (the rest may still come)."""
    error = errors.incomplete_body("it did not arrive")
    assert (error.status, error.code, error.details) == (400, "invalid-input", (("body", "it did not arrive"),))
    assert error.headers == ((b"connection", b"close"),)


def test_dots_messages_are_kept() -> None:
    """404's message is Dots' documented one; 413's names the limit."""
    assert errors.not_found().message == "PaymentIntent not found"
    assert errors.payload_too_large(262_144).message == "Request body exceeds 262144 bytes"


def test_details_are_listed_shortened_and_capped() -> None:
    """Details become {location, message}; long messages are cut and at most MAX_DETAILS are listed."""
    many = [(f"body.f{n}", "x" * 1000) for n in range(errors.MAX_DETAILS + 10)]
    body = json.loads(errors.invalid_input(many).body())
    assert len(body["details"]) == errors.MAX_DETAILS
    assert body["details"][0]["location"] == "body.f0"
    assert len(body["details"][0]["message"]) == errors.MAX_MESSAGE_CHARS


def test_unicode_and_lone_surrogates_are_escaped() -> None:
    """Any text a client sent is escaped in the body, so encoding never fails."""
    body = errors.invalid_input([("path.payment_intent_id", '"\ud800\u0000\u00e9" is not a "uuid"')]).body()
    assert body.isascii()
    assert json.loads(body)["details"][0]["message"] == '"\ud800\u0000\u00e9" is not a "uuid"'


def test_no_details_means_no_details_key() -> None:
    """Errors other than invalid-input carry no `details` at all (never null or empty)."""
    assert "details" not in json.loads(errors.not_found().body())
