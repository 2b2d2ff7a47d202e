"""A small in-memory Dots for the proxy's tests: conforming, or with one misbehaviour the proxy must report.

It serves create, retrieve and confirm under `/api` on 127.0.0.1 and a free port (stdlib
`ThreadingHTTPServer` in a background thread), with HTTP Basic credentials, Dots' error bodies
and the spec's statuses. `FAULTS` are what a misbehaving upstream does; `FakeDots(fault=...)`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.contract_tests.proxy.harness import Served

CLIENT_ID, API_KEY = "fake-client", "fake-key-0123456789"
FAULTS = {
    "second-confirm-200": "a second confirm of one intent answers 200 with the intent",
    "other-payment-method": "confirm answers a payment_method_id other than the one sent",
    "no-metadata": "every intent is answered without its metadata",
    "no-id": "every intent is answered without its id",
}
_INTENT = re.compile(r"^/api/v2/payment-intents/(?P<id>[^/]+)(?P<confirm>/confirm)?$")


class FakeDots(Served):
    """`with FakeDots(fault) as dots:` serves on `dots.url` (the base URL, with `/api`)."""

    def __init__(self, fault: str | None = None) -> None:
        assert fault is None or fault in FAULTS
        self.fault = fault
        self.intents: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        """(method, path) of every request that reached it."""
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                fake.handle(self)

            def do_POST(self) -> None:
                fake.handle(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.serve(server, server.server_address[1])

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request."""
        self.requests.append((request.command, request.path))
        length = int(request.headers.get("content-length") or 0)
        raw = request.rfile.read(length)
        token = base64.b64encode(f"{CLIENT_ID}:{API_KEY}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {token}":
            self._send(request, 401, {"error": "Unauthorized", "code": "unauthorized"})
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self.lock:
            status, answer = self._answer(request.command, request.path, body)
        self._send(request, status, answer)

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/api/v2/payment-intents":
            return self._create(body)
        match = _INTENT.match(path)
        intent = self.intents.get(match["id"].lower()) if match else None
        if intent is None:
            return 404, {"error": "PaymentIntent not found", "code": "not-found"}
        if method == "GET" and match and not match["confirm"]:
            return 200, self._shown(intent)
        if not isinstance(body, dict) or not isinstance(body.get("payment_method_id"), str):
            return 400, {"error": "invalid input", "code": "invalid-input"}
        if intent["status"] != "initialized" and self.fault != "second-confirm-200":
            return 409, {
                "error": "PaymentIntent has already been confirmed",
                "code": "payment-intent-already-confirmed",
            }
        method_id = str(uuid.uuid4()) if self.fault == "other-payment-method" else body["payment_method_id"]
        intent.update(status="succeeded", transfer_id=str(uuid.uuid4()), payment_method_id=method_id)
        return 200, self._shown(intent)

    def _create(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("amount"), int) or body.get("currency") != "usd":
            return 400, {"error": "invalid input", "code": "invalid-input"}
        intent = {
            "id": str(uuid.uuid4()),
            "amount": body["amount"],
            "currency": "usd",
            "status": "initialized",
            "metadata": body.get("metadata", {}),
        }
        self.intents[intent["id"]] = intent
        return 200, self._shown({**intent, "client_secret": "pi_secret_" + uuid.uuid4().hex})

    def _shown(self, intent: dict[str, Any]) -> dict[str, Any]:
        dropped = {"no-metadata": "metadata", "no-id": "id"}.get(self.fault or "")
        return {key: value for key, value in intent.items() if key != dropped}

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        if status == 401:
            request.send_header("WWW-Authenticate", 'Basic realm="dots"')
        request.end_headers()
        request.wfile.write(payload)
