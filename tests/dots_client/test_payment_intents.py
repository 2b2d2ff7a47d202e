"""dots_client.api.payment_intents: a documented status with a body the models cannot read never raises while parsing.

`sync_detailed`/`asyncio_detailed` return the Response (status, headers, raw content, parsed None,
parse_error set); `sync`/`asyncio` raise errors.UnreadableResponse carrying it. Undocumented
statuses keep their raise_on_unexpected_status behaviour.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dots_client import AuthenticatedClient, errors
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.errors import UnexpectedStatus
from dots_client.models import ConfirmPaymentIntentRequest

from contract_tests.client_ops import call_kwargs, client_module
from contract_tests.spec_data import spec_operations

OPERATIONS = spec_operations()
DOCUMENTED = [(op_id, status) for op_id, op in OPERATIONS.items() for status in op.responses]
# Bodies that a CDN, gateway, WAF or a server's own framework sends in place of the documented JSON.
UNREADABLE: dict[str, tuple[bytes, str | None]] = {
    "html": (b"<html><body><h1>413 Request Entity Too Large</h1><hr>nginx</body></html>", "text/html"),
    "plain-text": (b"Invalid HTTP request received.", "text/plain; charset=utf-8"),
    "empty": (b"", None),
    "json-array": (b"[]", "application/json"),
    "json-string": (b'"ok"', "application/json"),
    "json-null": (b"null", "application/json"),
    "wrong-types": (b'{"id": 12, "amount": 1, "currency": "usd", "error": 5, "details": "none"}', "application/json"),
    "missing-required": (b"{}", "application/json"),
    "not-utf-8": (b"\xff\xfe{", "application/json"),
}
BASE_URL = "https://api.dots.dev/api"


def _answer(status: int, body: bytes, content_type: str | None) -> httpx.MockTransport:
    """A transport answering every request with this status and body."""
    headers = {"content-type": content_type} if content_type else {}
    return httpx.MockTransport(lambda _: httpx.Response(status, content=body, headers=headers))


def _client(answer: httpx.MockTransport, *, raise_on_unexpected_status: bool = False) -> AuthenticatedClient:
    return AuthenticatedClient.basic_auth(
        BASE_URL, "id", "key", raise_on_unexpected_status=raise_on_unexpected_status, httpx_args={"transport": answer}
    )


def _kwargs(operation_id: str) -> dict[str, Any]:
    op = OPERATIONS[operation_id]
    path = {name: uuid.UUID(int=7) for name in op.path_parameters}
    return call_kwargs(op, path, op.request_example)


@pytest.mark.parametrize("kind", UNREADABLE)
@pytest.mark.parametrize(("operation_id", "status"), DOCUMENTED, ids=[f"{o}-{s}" for o, s in DOCUMENTED])
def test_detailed_functions_return_the_answer(operation_id: str, status: int, kind: str) -> None:
    """sync_detailed and asyncio_detailed give status, headers and raw content, parsed None, and why."""
    body, content_type = UNREADABLE[kind]
    module = client_module(OPERATIONS[operation_id])
    client = _client(_answer(status, body, content_type))
    responses = [
        module.sync_detailed(client=client, **_kwargs(operation_id)),
        asyncio.run(module.asyncio_detailed(client=client, **_kwargs(operation_id))),
    ]
    for response in responses:
        assert response.status_code == status
        assert response.content == body
        assert response.headers.get("content-type") == content_type
        assert response.parsed is None
        assert isinstance(response.parse_error, Exception)


@pytest.mark.parametrize("kind", UNREADABLE)
@pytest.mark.parametrize(("operation_id", "status"), DOCUMENTED, ids=[f"{o}-{s}" for o, s in DOCUMENTED])
def test_parsed_functions_raise_unreadable_response(operation_id: str, status: int, kind: str) -> None:
    """sync and asyncio raise UnreadableResponse carrying the Response, the parse error as its cause."""
    body, content_type = UNREADABLE[kind]
    module = client_module(OPERATIONS[operation_id])
    client = _client(_answer(status, body, content_type))
    with pytest.raises(errors.UnreadableResponse) as sync_raised:
        module.sync(client=client, **_kwargs(operation_id))
    with pytest.raises(errors.UnreadableResponse) as async_raised:
        asyncio.run(module.asyncio(client=client, **_kwargs(operation_id)))
    for raised in (sync_raised.value, async_raised.value):
        assert raised.status_code == status
        assert raised.response.status_code == status
        assert raised.response.content == body
        assert raised.response.parsed is None
        assert raised.__cause__ is raised.response.parse_error
        assert f"HTTP {status} " in str(raised)


def test_unreadable_response_message_never_quotes_the_body() -> None:
    """The exception's message names status, type and size, never the body (it may hold a client_secret)."""
    body = b'{"id": 1, "client_secret": "pi_secret_0123456789abcdef0123456789abcdef"}'
    client = _client(_answer(200, body, "application/json"))
    with pytest.raises(errors.UnreadableResponse) as raised:
        confirm_payment_intent.sync(uuid.uuid4(), client=client, body=ConfirmPaymentIntentRequest(uuid.uuid4()))
    assert "pi_secret" not in str(raised.value)
    assert "pi_secret" not in repr(raised.value)
    assert str(raised.value) == (
        f"HTTP 200 answer whose body could not be read as the documented model (application/json, {len(body)} bytes): "
        "see .response"
    )


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_undocumented_status_keeps_raise_on_unexpected_status(operation_id: str) -> None:
    """An undocumented HTML 502 is None (not UnreadableResponse), or UnexpectedStatus when so configured."""
    answer = _answer(502, b"<html>Bad Gateway</html>", "text/html")
    module = client_module(OPERATIONS[operation_id])
    response = module.sync_detailed(client=_client(answer), **_kwargs(operation_id))
    assert (response.status_code, response.parsed, response.parse_error) == (502, None, None)
    assert module.sync(client=_client(answer), **_kwargs(operation_id)) is None
    with pytest.raises(UnexpectedStatus):
        module.sync_detailed(client=_client(answer, raise_on_unexpected_status=True), **_kwargs(operation_id))


class _GatewayHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request as the path's first segment says: `/<status>/<content-type or ->/...`."""

    ANSWERS = {  # noqa: RUF012 - read-only table
        "413": (b"<html><head><title>413 Request Entity Too Large</title></head></html>", "text/html"),
        "401": (b"Unauthorized", "text/plain"),
        "409": (b"", None),
        "400": (b"Invalid HTTP request received.", "text/plain; charset=utf-8"),
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        status = self.path.split("/")[1]
        body, content_type = self.ANSWERS[status]
        self.send_response(int(status))
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test reads answers, not logs."""


@pytest.fixture
def gateway() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering documented statuses with non-JSON bodies; its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("status", sorted(_GatewayHandler.ANSWERS))
def test_confirm_over_the_network_exposes_a_non_json_documented_status(gateway: str, status: str) -> None:
    """Over a real socket: an HTML 413, text/plain 401 and 400, an empty 409 give the status, not JSONDecodeError."""
    body, content_type = _GatewayHandler.ANSWERS[status]
    with AuthenticatedClient.basic_auth(f"{gateway}/{status}", "id", "key") as client:
        request = ConfirmPaymentIntentRequest(payment_method_id=uuid.uuid4())
        response = confirm_payment_intent.sync_detailed(uuid.uuid4(), client=client, body=request)
        with pytest.raises(errors.UnreadableResponse) as raised:
            confirm_payment_intent.sync(uuid.uuid4(), client=client, body=request)
    assert response.status_code == int(status)
    assert response.content == body
    assert response.headers.get("content-type") == content_type
    assert response.parsed is None
    assert raised.value.status_code == int(status)


def _mislabelled(status: int) -> httpx.MockTransport:
    """A gateway page labelled `Content-Encoding: gzip` that is not gzip: httpx cannot decode it."""
    headers = {"content-type": "text/html", "content-encoding": "gzip"}
    page = httpx.ByteStream(b"<html>Bad Gateway</html>")  # a stream: content= would be decoded at once, here
    return httpx.MockTransport(lambda _: httpx.Response(status, stream=page, headers=headers))


@pytest.mark.parametrize(("operation_id", "status"), DOCUMENTED, ids=[f"{o}-{s}" for o, s in DOCUMENTED])
def test_body_its_content_encoding_cannot_decode_is_unreadable(operation_id: str, status: int) -> None:
    """A body that fails its Content-Encoding is an unreadable answer (status, headers, DecodingError), not a raise."""
    module = client_module(OPERATIONS[operation_id])
    client = _client(_mislabelled(status))
    responses = [
        module.sync_detailed(client=client, **_kwargs(operation_id)),
        asyncio.run(module.asyncio_detailed(client=client, **_kwargs(operation_id))),
    ]
    for response in responses:
        assert response.status_code == status
        assert response.headers["content-encoding"] == "gzip"
        assert response.parsed is None
        assert isinstance(response.parse_error, httpx.DecodingError)
    with pytest.raises(errors.UnreadableResponse) as raised:
        module.sync(client=client, **_kwargs(operation_id))
    assert raised.value.status_code == status
    assert isinstance(raised.value.__cause__, httpx.DecodingError)


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_undocumented_status_its_content_encoding_cannot_decode_keeps_raise_on_unexpected_status(
    operation_id: str,
) -> None:
    """An undocumented 502 that fails its Content-Encoding is None, or UnexpectedStatus when so configured."""
    module = client_module(OPERATIONS[operation_id])
    response = module.sync_detailed(client=_client(_mislabelled(502)), **_kwargs(operation_id))
    assert (response.status_code, response.parsed, response.parse_error) == (502, None, None)
    with pytest.raises(UnexpectedStatus):
        module.sync_detailed(
            client=_client(_mislabelled(502), raise_on_unexpected_status=True), **_kwargs(operation_id)
        )
