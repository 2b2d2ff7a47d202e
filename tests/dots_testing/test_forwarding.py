"""Forwarding: deliveries sent on to the service's real endpoint, an ASGI app the kit serves or a URL."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
from dots_client import Dots

from dots_testing import forwarding
from dots_testing.webhook_receiver import WebhookReceiver

DECLINE = "00000000-0000-4000-8000-000000000002"


class Endpoint:
    """A service's webhook endpoint as a bare ASGI app: verifies with the secret it is given, fails its first call."""

    def __init__(self, dots: Dots, secret: str) -> None:
        self.dots, self.secret = dots, secret
        self.handled: list[tuple[str, str]] = []  # (path, svix-id) of the deliveries that verified
        self.calls = 0

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[..., Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.dots.webhooks.unwrap(body, headers, secret=self.secret)  # raises on a bad signature: a 500
        self.calls += 1
        status = 500 if self.calls == 1 else 204  # the first one fails: Dots must deliver it again
        if status == 204:
            self.handled.append((scope["path"], headers["svix-id"]))
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def test_an_asgi_app_gets_each_delivery_and_its_failure_brings_it_again(
    dots: Dots, dots_webhooks: WebhookReceiver
) -> None:
    """forward_to(app) serves the app; it verifies the delivery with the receiver's secret, its 500 is the
    answer the sandbox gets (so the event comes again), and its 204 then ends it."""
    endpoint = Endpoint(dots, dots_webhooks.secret)
    url = dots_webhooks.forward_to(endpoint, path="/hooks/dots")
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/hooks/dots")
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=DECLINE)
    first, again = dots_webhooks.wait_for(intent.id), dots_webhooks.wait_for(intent.id)
    assert [(d.forwarded, d.status, d.attempt) for d in (first, again)] == [(500, 500, 1), (204, 204, 2)]
    assert endpoint.handled == [("/hooks/dots", first.svix_id)]
    with pytest.raises(ValueError, match="already"):
        dots_webhooks.forward_to(endpoint)


def _closed_port() -> int:
    """A port nothing listens on: one the system just gave out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_url_that_answers_nothing_is_a_502(dots: Dots, dots_webhooks: WebhookReceiver) -> None:
    """An endpoint that cannot be reached is answered 502 to the sandbox; a target that is no URL is refused."""
    with pytest.raises(ValueError, match="http"):
        forwarding.Forwarder("ftp://127.0.0.1/")
    dots_webhooks.forward_to(f"http://127.0.0.1:{_closed_port()}/hooks")
    dots_webhooks.respond_with(204)  # a test's own answer still wins, so the event is not sent again
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(intent.id, payment_method_id=DECLINE)
    delivery = dots_webhooks.wait_for(intent.id)
    assert (delivery.forwarded, delivery.status) == (forwarding.UNREACHABLE_STATUS, 204)
