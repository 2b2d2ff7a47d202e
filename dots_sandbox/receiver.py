"""`python -m dots_sandbox.receiver [--host H] [--port P]`: a local webhook receiver that shows what arrives.

Each POST is verified with the `svix` library (signature and timestamp) against the secret in
SANDBOX_WEBHOOK_SECRET (default: the documented local one, DEFAULT_SECRET), then printed as one
JSON line and answered `204`; one that fails verification is printed with the reason and
answered `400` (so the sandbox retries it). `GET /` answers the lines printed so far, oldest
first, one JSON object a line. It prints `webhook receiver listening on URL` once it listens.
`make serve-webhooks` runs it beside the sandbox. The secret is never printed.

`ReceiverServer` is the one HTTP shell of every webhook receiver here: this one (`LocalReceiver`,
mounted at `/`) and the test kit's (dots_testing/webhook_receiver.py: one server per pytest
session, a path per test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from dots_sandbox.front.listener import listening_line, port_number

if TYPE_CHECKING:
    from svix.webhooks import Webhook

# The documented local default (like the sandbox's API key): not a secret.
DEFAULT_SECRET = "whsec_ZG90cy1zYW5kYm94LXdlYmhvb2stc2VjcmV0IQ=="  # noqa: S105
SECRET_VAR = "SANDBOX_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
DEFAULT_PORT = 8081
# A sandbox's event body is under 100 bytes; anything far larger is not a delivery (answered 413).
MAX_BODY_BYTES = 1_048_576
# How often a serving thread looks for `stop()`: the bound on how long stopping takes.
POLL_SECONDS = 0.02
ROOT = "/"
_HEADERS = ("svix-id", "svix-timestamp", "svix-signature")

_encode = json.JSONEncoder(separators=(",", ":")).encode

# One delivery in (the raw body, the headers with lower-case names), the status to answer out.
OnPost = Callable[[bytes, dict[str, str]], int]
# What a GET of the path answers (text/plain), or None: 405.
OnGet = Callable[[], bytes]


class ReceiverServer:
    """One HTTP server for many webhook receivers, each at a path of its own (`mount`).

    The standard library's `ThreadingHTTPServer` on `host:port` (0: a free one), served from a
    daemon thread (`start`) or the caller's (`serve_forever`). A `POST` to a mounted path (the query
    is ignored) is handed to that receiver's `on_post`, which answers its status (the body is then
    empty); a `POST` to any other path is answered `404` and kept by no one, unless `/` is mounted,
    which takes every path no other mount claims (the standalone receiver's catch-all). A body
    over MAX_BODY_BYTES is `413`. A `GET` answers the mount's `on_get` text, or `405`. Used by
    `LocalReceiver` and by the test kit's `dots_webhooks` (one server for a whole pytest session, a
    path per test). Mounting and unmounting are safe from any thread while requests arrive.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._mounts: dict[str, tuple[OnPost, OnGet | None]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ReceiverServer({self.url(ROOT)!r}, mounts={len(self._mounts)})"

    def url(self, path: str) -> str:
        """The URL of `path` (which starts with `/`) on this server: `http://host:port/path`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def mount(self, path: str, on_post: OnPost, on_get: OnGet | None = None) -> str:
        """Serve `path` with `on_post` (and `on_get`) from now on; its URL.

        Raises ValueError for a path that does not start with `/` or is mounted already.
        """
        if not path.startswith("/"):
            raise ValueError(f"a receiver's path starts with '/', not {path!r}")
        with self._lock:
            if path in self._mounts:
                raise ValueError(f"a receiver is mounted at {path} already")
            self._mounts[path] = (on_post, on_get)
        return self.url(path)

    def unmount(self, path: str) -> None:
        """Stop serving `path` (later requests to it are answered 404); nothing happens if it is not mounted."""
        with self._lock:
            self._mounts.pop(path, None)

    def start(self) -> ReceiverServer:
        """Serve on a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until `stop()` (from another thread) or KeyboardInterrupt."""
        self._server.serve_forever(POLL_SECONDS)

    def stop(self) -> None:
        """Stop serving and close the socket (a delivery arriving later is refused a connection)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def _find(self, raw_path: str) -> tuple[OnPost, OnGet | None] | None:
        path = urllib.parse.urlsplit(raw_path).path
        with self._lock:
            return self._mounts.get(path) or self._mounts.get(ROOT)


def _handler(server: ReceiverServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dots-webhook-receiver"

        def do_POST(self) -> None:
            found = server._find(self.path)
            if found is None:
                self._answer(404)  # no receiver here (an earlier one's URL, say): not ours to keep
                return
            raw = self.headers.get("content-length") or "0"
            if not (raw.isascii() and raw.isdigit()):  # RFC 9110 section 8.6: 1*DIGIT ("-5", "abc": no length)
                self._answer(400)
                return
            if int(raw) > MAX_BODY_BYTES:
                self._answer(413)
                return
            length = int(raw)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._answer(found[0](body, headers))

        def do_GET(self) -> None:
            found = server._find(self.path)
            if found is None:
                self._answer(404)
            elif found[1] is None:
                self._answer(405)
            else:
                self._answer(200, found[1]())

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            if body:
                self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: each receiver reports what it got its own way."""

    return Handler


class LocalReceiver:
    """A webhook receiver at `/` of a `ReceiverServer` on host:port (0: a free one) that verifies, records and
    prints deliveries (any path but another mount's reaches it).

    `received` holds one dict per POST: the three Svix headers, `verified` (bool), the parsed body
    (or `error`, the reason it was refused). `on_line` gets each printed line (default: print).
    Raises OSError when host:port cannot be bound, ValueError (never quoting it) for a malformed secret.
    """

    def __init__(
        self,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_line: Callable[[str], object] | None = None,
    ) -> None:
        from svix.webhooks import Webhook  # noqa: PLC0415 (a second to import: not for the kit's receivers)

        try:
            self._webhook: Webhook = Webhook(secret)
        except Exception:
            raise ValueError(f"{SECRET_VAR} is not a whsec_ secret") from None
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._on_line = on_line or (lambda line: print(line, flush=True))
        self.server = ReceiverServer(host, port)
        self.server.mount(ROOT, self.receive, lambda: "".join(f"{line}\n" for line in self.lines()).encode())

    def __repr__(self) -> str:
        return f"LocalReceiver({self.url!r})"

    @property
    def url(self) -> str:
        """The URL deliveries go to."""
        return self.server.url(ROOT)

    def start(self) -> LocalReceiver:
        """Serve on a background thread."""
        self.server.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until `stop()` (from another thread) or KeyboardInterrupt."""
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.stop()

    def lines(self) -> list[str]:
        """What was printed so far, oldest first."""
        with self._lock:
            return [_encode(entry) for entry in self.received]

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify and record one delivery; the status to answer (204 verified, 400 not)."""
        from svix.webhooks import WebhookVerificationError  # noqa: PLC0415 (imported already by __init__)

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the receiver until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m dots_sandbox.receiver",
        description=f"Print each verified webhook (secret: {SECRET_VAR}, default the documented local one).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"port, 0 for any free one ({DEFAULT_PORT})"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        receiver = LocalReceiver(os.environ.get(SECRET_VAR, DEFAULT_SECRET), args.host, args.port)
    except OSError as error:
        print(f"webhook receiver: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # a malformed secret: the message never echoes it
        print(f"webhook receiver: {error}", file=sys.stderr)
        return 2
    print(listening_line("webhook receiver", receiver.url), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        receiver.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
