"""`python -m dots_sandbox.receiver [--host H] [--port P]`: a local webhook receiver that shows what arrives.

Each POST is verified with the `svix` library (signature and timestamp) against the secret in
SANDBOX_WEBHOOK_SECRET (default: the documented local one, DEFAULT_SECRET), then printed as one
JSON line and answered `204`; one that fails verification is printed with the reason and
answered `400` (so the sandbox retries it). `GET /` answers the lines printed so far, oldest
first, one JSON object a line. It prints `webhook receiver listening on URL` once it listens.
`make serve-webhooks` runs it beside the sandbox. The secret is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from svix.webhooks import Webhook, WebhookVerificationError

# The documented local default (like the sandbox's API key): not a secret.
DEFAULT_SECRET = "whsec_ZG90cy1zYW5kYm94LXdlYmhvb2stc2VjcmV0IQ=="  # noqa: S105
SECRET_VAR = "SANDBOX_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
DEFAULT_PORT = 8081
MAX_BODY_BYTES = 1_048_576
_HEADERS = ("svix-id", "svix-timestamp", "svix-signature")

_encode = json.JSONEncoder(separators=(",", ":")).encode


class LocalReceiver:
    """A threaded HTTP receiver on host:port (0: a free one) that verifies, records and prints deliveries.

    `received` holds one dict per POST: the three Svix headers, `verified` (bool), the parsed body
    (or `error`, the reason it was refused). `on_line` gets each printed line (default: print).
    """

    def __init__(
        self,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_line: Callable[[str], object] | None = None,
    ) -> None:
        self._webhook = Webhook(secret)
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._on_line = on_line or (lambda line: print(line, flush=True))
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"LocalReceiver({self.url!r})"

    @property
    def url(self) -> str:
        """The URL deliveries go to."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> LocalReceiver:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until `stop()` (from another thread) or KeyboardInterrupt."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def lines(self) -> list[str]:
        """What was printed so far, oldest first."""
        with self._lock:
            return [_encode(entry) for entry in self.received]

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify and record one delivery; the status to answer (204 verified, 400 not)."""
        entry: dict[str, Any] = {name: headers.get(name) for name in _HEADERS}
        try:
            self._webhook.verify(body, headers)
            entry["verified"] = True
            entry["body"] = json.loads(body)
            status = 204
        except (WebhookVerificationError, ValueError) as error:
            entry["verified"] = False
            entry["error"] = str(error) or type(error).__name__
            status = 400
        with self._lock:
            self.received.append(entry)
        self._on_line(_encode(entry))
        return status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if not 0 <= length <= MAX_BODY_BYTES:
                    self._answer(413, b"")
                    return
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                self._answer(receiver.receive(body, headers), b"")

            def do_GET(self) -> None:
                self._answer(200, "".join(f"{line}\n" for line in receiver.lines()).encode(), "text/plain")

            def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                if body:
                    self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the verified lines are the output."""

        return Handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the receiver until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m dots_sandbox.receiver",
        description=f"Print each verified webhook (secret: {SECRET_VAR}, default the documented local one).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port, 0 for any free one ({DEFAULT_PORT})")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        receiver = LocalReceiver(os.environ.get(SECRET_VAR, DEFAULT_SECRET), args.host, args.port)
    except OSError as error:
        print(f"webhook receiver: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except Exception:  # a malformed secret: say so without echoing it
        print(f"webhook receiver: {SECRET_VAR} is not a whsec_ secret", file=sys.stderr)
        return 2
    print(f"webhook receiver listening on {receiver.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        receiver.serve_forever()
    return 0


def _port(text: str) -> int:
    # Checked here: the socket layer would raise OverflowError, which the secret's except below
    # would report as a bad secret.
    if not (text.isascii() and text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, not {text!r}")
    return int(text)


if __name__ == "__main__":
    sys.exit(main())
