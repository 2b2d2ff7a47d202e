"""HTTP Basic against the one configured client, compared in constant time."""

from __future__ import annotations

import base64

import pytest

from dots_sandbox.errors import ApiError
from dots_sandbox.request.auth import BasicAuth

AUTH = BasicAuth("sandbox-client-id", "sandbox-api-key")


def _basic(credentials: bytes, scheme: bytes = b"Basic") -> bytes:
    return scheme + b" " + base64.b64encode(credentials)


def test_right_credentials_give_the_client_id() -> None:
    """The right user name and password authenticate as that client."""
    assert AUTH.check(_basic(b"sandbox-client-id:sandbox-api-key")) == "sandbox-client-id"


def test_scheme_is_case_insensitive() -> None:
    """`basic` and `BASIC` are the Basic scheme (RFC 7235), and surrounding spaces are tolerated."""
    assert AUTH.check(_basic(b"sandbox-client-id:sandbox-api-key", b"basic")) == "sandbox-client-id"
    assert AUTH.check(b"  " + _basic(b"sandbox-client-id:sandbox-api-key", b"BASIC") + b" ") == "sandbox-client-id"


@pytest.mark.parametrize(
    "header",
    [
        None,
        b"",
        b"Basic",
        b"Basic ",
        b"Bearer c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1hcGkta2V5",
        b"Digest username=sandbox-client-id",
        b"Basic not*base64",
        b"Basic c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1hcGkta2V5===",
        b"Basic YR==",
        b"Basic \xff\xfe",
        _basic(b"sandbox-client-id:wrong-key"),
        _basic(b"sandbox-client-id:"),
        _basic(b":sandbox-api-key"),
        _basic(b"sandbox-client-id"),
        _basic(b"unknown-client:sandbox-api-key"),
        _basic(b"SANDBOX-CLIENT-ID:sandbox-api-key"),
        _basic(b"sandbox-client-id:sandbox-api-key\x00"),
        _basic(b"sandbox-client-id:sandbox-api-key:extra"),
    ],
)
def test_everything_else_is_401(header: bytes | None) -> None:
    """Missing, other schemes, bad base64, wrong or empty password, unknown client: 401 with the Basic challenge."""
    with pytest.raises(ApiError) as raised:
        AUTH.check(header)
    assert raised.value.status == 401
    assert raised.value.code == "unauthorized"
    assert (b"www-authenticate", b'Basic realm="dots"') in raised.value.headers


def test_unicode_credentials_are_utf8() -> None:
    """Non-ASCII credentials match when sent as UTF-8 (RFC 7617), not as Latin-1."""
    auth = BasicAuth("cli\u00e9nt", "p\u00e4ss-\U0001f511")
    assert auth.check(_basic("cli\u00e9nt:p\u00e4ss-\U0001f511".encode())) == "cli\u00e9nt"
    with pytest.raises(ApiError):
        auth.check(_basic("cli\u00e9nt:p\u00e4ss-".encode("latin-1") + "\U0001f511".encode()))


def test_repr_hides_the_key() -> None:
    """The checker's repr names the client, not the key."""
    assert "sandbox-api-key" not in repr(AUTH)
    assert "sandbox-client-id" in repr(AUTH)
