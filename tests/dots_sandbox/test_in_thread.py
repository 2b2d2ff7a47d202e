"""Serving a sandbox from a thread of this process (dots_sandbox/in_thread.py), on a real port."""

from __future__ import annotations

import signal
import socket
import threading

import httpx
import pytest

from dots_sandbox.in_thread import serve_in_thread
from dots_sandbox.sandbox import build_sandbox
from dots_sandbox.settings import Settings

AUTH = ("sandbox-client-id", "sandbox-api-key")


def _sandbox_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "dots-sandbox"]


def test_a_sandbox_served_from_a_thread_answers_then_stops_cleanly() -> None:
    """A create and a retrieve over real HTTP; after the block the port refuses connections and the thread is gone."""
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    sandbox = build_sandbox(Settings(db=":memory:"))
    with sandbox.serve_in_thread() as served:
        assert served.base_url == f"http://127.0.0.1:{served.port}/api"
        with httpx.Client(base_url=served.base_url, auth=AUTH, timeout=15) as client:
            created = client.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
            assert created.status_code == 200
            retrieved = client.get(f"/v2/payment-intents/{created.json()['id']}")
        assert retrieved.status_code == 200
        assert retrieved.json()["amount"] == 1000
        assert retrieved.headers.get("server") is None  # the sandbox's own front, not plain uvicorn
        assert len(_sandbox_threads()) == 1
        assert {signum: signal.getsignal(signum) for signum in handlers} == handlers  # none installed
    assert _sandbox_threads() == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", served.port), timeout=5).close()
    with pytest.raises(Exception, match="closed"):  # the lifespan's shutdown closed the store
        sandbox.store.get("sandbox-client-id", created.json()["id"])


def test_an_app_that_cannot_start_is_an_error_and_leaves_nothing_behind() -> None:
    """A lifespan startup that fails raises RuntimeError; no thread or port is left."""

    class NoStart:
        async def __call__(self, scope: object, receive: object, send: object) -> None:
            raise RuntimeError("cannot start")

        def stop_waiting(self) -> None:
            """Nothing waits."""

    with pytest.raises(RuntimeError, match="did not start"), serve_in_thread(NoStart(), Settings(db=":memory:")):
        pass
    assert _sandbox_threads() == []
