"""A tiny HTTP/1.1 server for Dots and AsyncDots tests that need real sockets: keep-alive, slow and dripped answers.

`with LocalServer(reply) as server:` serves on `server.url` (a base URL ending in `/api`) from an
asyncio loop in a thread of its own, bound to 127.0.0.1 on a free port, stopped on exit. `reply`
gets each `Seen` request (method, path, body, the client's port) and returns a `Reply`: a status
and JSON body, sent after `delay` seconds, or dripped one byte every `drip` seconds after its
headers (for ever when `endless`). `server.seen` lists the requests in order; `server.connections`
counts the connections accepted, `server.open` those still open.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from tests.dots_client.scripted import METHOD


@dataclasses.dataclass(frozen=True)
class Seen:
    """A request the server read: `method`, `path`, `body` (bytes) and the client's TCP `port`."""

    method: str
    path: str
    body: bytes
    port: int


@dataclasses.dataclass(frozen=True)
class Reply:
    """An answer: `status` and `json` after `delay` s, its body `pause` s after its headers, dripped a
    byte per `drip` s (`endless`: for ever)."""

    status: int = 200
    json: Any = None
    delay: float = 0.0
    pause: float = 0.0
    drip: float = 0.0
    endless: bool = False


def echo_intent(seen: Seen) -> Reply:
    """A PaymentIntent whose id is the one in the path: `succeeded` with METHOD for a confirm, else `initialized`."""
    parts = seen.path.split("/")
    intent_id = parts[4] if len(parts) > 4 else str(uuid.uuid4())  # /api/v2/payment-intents/{id}[/confirm]
    confirm = seen.path.endswith("/confirm")
    body = {"id": intent_id, "amount": 1000, "currency": "usd", "status": "succeeded" if confirm else "initialized"}
    if confirm:
        body["payment_method_id"] = str(METHOD)
    return Reply(json=body)


class LocalServer:
    """See the module's docstring."""

    def __init__(self, reply: Callable[[Seen], Reply] = echo_intent) -> None:
        self.reply = reply
        self.seen: list[Seen] = []
        self.connections = 0
        self.open = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-server", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL to give `Dots(base_url=...)`."""
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *args: object) -> None:
        self._loop.call_soon_threadsafe(self._stop)
        self._thread.join(10)

    def _stop(self) -> None:
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
        self._loop.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self._writers.add(writer)
        port = writer.get_extra_info("peername")[1]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = Seen(method, path, body, port)
                self.seen.append(seen)
                reply = self.reply(seen)
                await self._answer(reader, writer, reply)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            self.open -= 1
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        content = json.dumps(reply.json).encode()
        length = 10**9 if reply.endless else len(content)
        writer.write(
            f"HTTP/1.1 {reply.status} X\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n".encode()
        )
        if reply.pause:
            await writer.drain()
            await asyncio.sleep(reply.pause)
        if not reply.drip:
            writer.write(content)
            await writer.drain()
            return
        index = 0
        while (reply.endless or index < len(content)) and not reader.at_eof() and not writer.is_closing():
            writer.write(content[index % len(content) : index % len(content) + 1])
            await writer.drain()
            index += 1
            await asyncio.sleep(reply.drip)
