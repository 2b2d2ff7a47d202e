"""Webhook deliveries through the proxy: forwarded unchanged to the receiver, signature and body judged."""

from __future__ import annotations

import datetime
import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svix.webhooks import Webhook

from contract_tests.proxy import cli
from contract_tests.proxy.webhooks import CONFORMANCE, FOLLOWS_A_CHANGE, SIGNATURE
from contract_tests.target import EmbeddedSandbox
from tests.contract_tests.proxy.fake_dots import API_KEY, CLIENT_ID, FakeDots
from tests.contract_tests.proxy.harness import InProcessProxy, RawUpstream, header_lines

SECRET = "whsec_" + "dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"


class Setup:
    """The proxy between a fake Dots and a receiver that answers 204 to every delivery."""

    def __init__(self, proxy: cli.Proxy, receiver: RawUpstream) -> None:
        self.proxy = proxy
        self.receiver = receiver
        self.api = httpx.Client(base_url=proxy.url, auth=(CLIENT_ID, API_KEY))

    def deliver(self, body: bytes, *, tamper: bool = False) -> httpx.Response:
        """POST a delivery signed with SECRET (its body changed after signing when `tamper`)."""
        message_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.datetime.now(datetime.UTC)
        signature = Webhook(SECRET).sign(message_id, now, body.decode())
        headers = {
            "svix-id": message_id,
            "svix-timestamp": str(int(now.timestamp())),
            "svix-signature": signature,
            "content-type": "application/json",
        }
        sent = body.replace(b"updated", b"updatex") if tamper else body
        assert self.proxy.webhook_url is not None
        before = self.judged()
        response = httpx.post(self.proxy.webhook_url, content=sent, headers=headers)
        deadline = time.monotonic() + 10  # a delivery is judged just after the receiver's answer went back
        while self.judged() == before and time.monotonic() < deadline:
            time.sleep(0.005)
        return response

    def judged(self) -> int:
        """How many deliveries the proxy judged so far."""
        counts = self.proxy.reports.counts
        return counts["webhook"] + counts["webhook-violation"]

    def failed(self, check: str) -> int:
        """How many deliveries failed `check`."""
        return sum(len(found) for (_, name), (_, found) in self.proxy.reports.cases.items() if name == check)


@pytest.fixture
def setup() -> Iterator[Setup]:
    """A fake Dots, a receiver at /hooks, and the proxy with --webhooks-to it."""
    receiver = RawUpstream(lambda head, body: [b"HTTP/1.1 204 No Content\r\n\r\n"])
    with FakeDots() as dots, receiver:
        hooks = receiver.url.removesuffix("/api") + "/hooks"
        argv = ["--upstream", dots.url, "--webhooks-to", hooks, "--webhook-secret", SECRET]
        with InProcessProxy(argv) as proxy:
            running = Setup(proxy, receiver)
            yield running
            running.api.close()


def _event(intent_id: str) -> bytes:
    return json.dumps({"event": "payment_intent.updated", "payment_intent_id": intent_id}).encode()


def test_a_signed_delivery_after_a_confirm_is_forwarded_unchanged_and_passes(setup: Setup) -> None:
    """The receiver gets the body and Svix headers as sent, at its own path; no check fails."""
    intent = setup.api.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()["id"]
    setup.api.post(f"/v2/payment-intents/{intent}/confirm", json={"payment_method_id": str(uuid.uuid4())})
    body = _event(intent)
    response = setup.deliver(body)
    assert response.status_code == 204
    head, received = setup.receiver.requests[0]
    assert head.startswith(b"POST /hooks HTTP/1.1\r\n")
    assert received == body
    assert {name.lower() for name, _ in header_lines(head)} >= {b"svix-id", b"svix-timestamp", b"svix-signature"}
    setup.proxy.reports.close()
    assert setup.proxy.reports.counts["webhook"] == 1
    assert not setup.proxy.reports.failed


def test_a_tampered_delivery_is_forwarded_and_reported(setup: Setup) -> None:
    """A body changed after signing still reaches the receiver, and fails the signature and the schema."""
    intent = setup.api.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()["id"]
    setup.api.post(f"/v2/payment-intents/{intent}/confirm", json={"payment_method_id": str(uuid.uuid4())})
    setup.deliver(_event(intent), tamper=True)
    assert setup.receiver.requests[0][1] == _event(intent).replace(b"updated", b"updatex")
    assert setup.failed(SIGNATURE) == 1
    assert setup.failed(CONFORMANCE) == 1  # "payment_intent.updatex" is no event type of the spec
    assert setup.proxy.reports.failed


def test_an_event_for_an_intent_that_never_changed_is_reported(setup: Setup) -> None:
    """A (validly signed) event about an intent the proxy saw created and never confirmed follows no change."""
    intent = setup.api.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()["id"]
    setup.deliver(_event(intent))
    assert setup.failed(FOLLOWS_A_CHANGE) == 1
    assert setup.failed(SIGNATURE) == 0


def test_a_delivery_that_breaks_the_spec_is_reported(setup: Setup) -> None:
    """A body without payment_intent_id breaks the spec's PaymentIntentUpdatedEvent."""
    setup.deliver(json.dumps({"event": "payment_intent.updated"}).encode())
    assert setup.failed(CONFORMANCE) == 1
    assert setup.failed(SIGNATURE) == 0


def test_webhooks_need_a_whsec_secret() -> None:
    """--webhooks-to without a whsec_ secret is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as exited:
        cli.parse(["--upstream", "http://127.0.0.1:1/api", "--webhooks-to", "http://127.0.0.1:2/"])
    assert exited.value.code == 2


def test_the_sandboxs_own_delivery_after_a_confirm_passes(tmp_path: Path) -> None:
    """A sandbox process whose receiver is the proxy: its signed event for a confirm is forwarded and passes."""
    with socket.socket() as probe:  # a free port for the webhook listener, named to the sandbox at its start
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = RawUpstream(lambda head, body: [b"HTTP/1.1 204 No Content\r\n\r\n"])
    with pytest.MonkeyPatch.context() as patch, receiver:
        patch.setenv("SANDBOX_WEBHOOKS", f"http://127.0.0.1:{port}/={SECRET}")
        with EmbeddedSandbox() as sandbox:
            hooks = receiver.url.removesuffix("/api") + "/hooks"
            argv = ["--upstream", sandbox.base_url, "--webhooks-to", hooks, "--webhook-secret", SECRET]
            with InProcessProxy([*argv, "--webhook-port", str(port), "--report", str(tmp_path)]) as proxy:
                with httpx.Client(base_url=proxy.url, auth=sandbox.auth) as api:
                    intent = api.post("/v2/payment-intents", json={"amount": 5, "currency": "usd"}).json()["id"]
                    api.post(f"/v2/payment-intents/{intent}/confirm", json={"payment_method_id": str(uuid.uuid4())})
                deadline = time.monotonic() + 15
                # The proxy records the delivery once the receiver's answer is back, a moment after the
                # receiver has the request: waiting for the request alone raced the proxy's shutdown.
                while not (receiver.requests and proxy.reports.counts["webhook"]) and time.monotonic() < deadline:
                    time.sleep(0.02)
    assert json.loads(receiver.requests[0][1]) == {"event": "payment_intent.updated", "payment_intent_id": intent}
    assert proxy.reports.counts["webhook"] == 1
    assert not proxy.reports.failed


def test_a_delivery_that_is_not_utf8_is_reported(setup: Setup) -> None:
    """A body that is not UTF-8 reaches the receiver unchanged, and fails conformance and the signature."""
    body = b'{"event": "payment_intent.updated", "payment_intent_id": "\xff"}'
    assert setup.proxy.webhook_url is not None
    headers = {"svix-id": "msg_1", "svix-timestamp": str(int(time.time())), "svix-signature": "v1,x"}
    httpx.post(setup.proxy.webhook_url, content=body, headers={**headers, "content-type": "application/json"})
    deadline = time.monotonic() + 10
    while not setup.judged() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert setup.receiver.requests[0][1] == body
    assert setup.failed(CONFORMANCE) == 1
    assert setup.failed(SIGNATURE) == 1
    assert setup.proxy.reports.failed
