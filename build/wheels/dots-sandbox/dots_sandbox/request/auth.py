"""HTTP Basic authentication against the one client the sandbox knows.

The sandbox has exactly one client: DOTS_CLIENT_ID with DOTS_API_KEY. Any other user name, even
in a well-formed header, is 401 like a wrong password (no auto-provisioning of clients, and no
hint which part was wrong). The comparison is constant-time over the whole decoded
`client_id:api_key` (UTF-8, as RFC 7617 recommends).
"""

from __future__ import annotations

import binascii
import hmac

from dots_sandbox import errors


class BasicAuth:
    """Checks `Authorization` header values; `client_id` names whose intents a request sees."""

    __slots__ = ("_expected", "_header", "client_id")

    def __init__(self, client_id: str, api_key: str) -> None:
        self.client_id = client_id
        self._expected = f"{client_id}:{api_key}".encode()
        # The header nearly every client sends, checked first in one constant-time comparison.
        self._header = b"Basic " + binascii.b2a_base64(self._expected, newline=False)

    def __repr__(self) -> str:
        return f"BasicAuth(client_id={self.client_id!r})"

    def check(self, header: bytes | None) -> str:
        """The authenticated client id; raise 401 unless `header` is `Basic` with the right credentials."""
        if header is None:
            raise errors.unauthorized()
        if hmac.compare_digest(header, self._header):
            return self.client_id
        scheme, _, token = header.strip().partition(b" ")
        if scheme.lower() != b"basic":
            raise errors.unauthorized()
        token = token.strip()
        try:
            given = binascii.a2b_base64(token, strict_mode=True)
        except (binascii.Error, ValueError):
            raise errors.unauthorized() from None
        # Only the canonical encoding: no excess padding or stray bits that decode the same.
        canonical = binascii.b2a_base64(given, newline=False) == token
        if not hmac.compare_digest(given, self._expected) or not canonical:
            raise errors.unauthorized()
        return self.client_id
