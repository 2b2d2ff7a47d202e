"""DOTS_LOG=debug: each attempt, retry and reconciliation is logged, and no secret is."""

from __future__ import annotations

import gc
import logging
import re
import subprocess
import sys
import textwrap
import threading
import types
import uuid
from pathlib import Path

import pytest
import yaml
from dots_client import Dots, _logs

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"

# Run in a child so that DOTS_LOG is read at import, as a user's process reads it.
SCRIPT = textwrap.dedent(
    """
    import base64, httpx, uuid
    from dots_client import Dots
    from tests.dots_client.scripted import API_KEY, BASE, CLIENT_ID, METHOD, Script, intent_json

    intent = intent_json("requires_payment_method", client_secret="pi_1a2b_secret_c3d4e5")
    done = {**intent, "status": "succeeded", "payment_method_id": str(METHOD)}
    conflict = {"error": "already confirmed", "code": "payment-intent-already-confirmed"}
    script = Script(
        httpx.Response(200, json=intent),
        httpx.ReadError("the answer was lost"),
        httpx.Response(409, json=conflict),
        httpx.Response(200, json=done),
    )
    http = httpx.Client(transport=httpx.MockTransport(script))
    dots = Dots(client_id=CLIENT_ID, api_key=API_KEY, base_url=BASE, http_client=http, sleep=script.sleep)
    created = dots.payment_intents.create(amount=1000, currency="usd")
    raw = dots.payment_intents.with_raw_response.confirm(uuid.UUID(intent["id"]), payment_method_id=METHOD)
    assert raw.reconciled, raw
    secret = "whsec_" + base64.b64encode(b"a webhook secret, 32 bytes long!").decode()
    signed = dots.webhooks.sign({"event": "payment_intent.updated", "payment_intent_id": intent["id"]}, secret)
    dots.webhooks.unwrap(signed.body, signed.headers, secret=secret)
    import logging
    careless = logging.getLogger("dots_client").debug
    careless("a careless line: Authorization: %s key=%s", "Basic abcDEF123=", API_KEY)
    logging.getLogger("dots_client").debug("and a secret %s", secret)
    """
)


def test_debug_log_of_a_reconciled_confirm_holds_no_secret() -> None:
    """The log shows each attempt, the retry and the reconciliation; no API key, Basic, whsec_ or client_secret."""
    env = {"DOTS_LOG": "debug", "PATH": "", "PYTHONPATH": "."}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stderr
    assert "create_payment_intent: sending POST /api/v2/payment-intents" in log
    assert log.count("confirm_payment_intent: sending POST") == 2
    assert "retrieve_payment_intent: sending GET" in log
    assert "confirm_payment_intent: HTTP 409" in log
    assert "reconciling with a retrieve" in log
    assert "confirm: reconciled" in log
    assert "authorization: [redacted]" in log
    assert "attempt 1 of 4 ended in ReadError; retrying" in log
    assert "Authorization: Basic [redacted] key=[redacted]" in log
    for secret in ("sk_test_very_secret_key", "abcDEF123=", "whsec_", "pi_1a2b_secret_c3d4e5", "secret_c3d4e5"):
        assert secret not in log, secret


def test_standard_logging_config_is_redacted_too(caplog: pytest.LogCaptureFixture) -> None:
    """Without DOTS_LOG, a record reaching the user's own handler has its secrets already replaced."""
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        _logs.logger.debug("Authorization: Basic %s client_secret=%s", "Zm9vOmJhcg==", "pi_9_secret_8")
    assert caplog.messages == ["Authorization: Basic [redacted] client_secret=[redacted]"]


def _spec_client_secrets() -> list[str]:
    """Every `client_secret` example value of openapi.yaml (placeholders like `<string>` left out)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "client_secret" and isinstance(value, str) and not value.startswith("<"):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    return found


def test_the_specs_client_secret_examples_are_redacted_in_free_text(caplog: pytest.LogCaptureFixture) -> None:
    """Each client_secret example of the spec (`pi_secret_<hex>`), logged in free text, is redacted."""
    secrets = _spec_client_secrets()
    assert secrets
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        for secret in secrets:
            _logs.logger.debug("the intent's secret is %s, and Stripe's shape pi_3Mt_secret_YrK too", secret)
    assert caplog.messages == ["the intent's secret is [redacted], and Stripe's shape [redacted] too"] * len(secrets)


def test_only_live_clients_keys_are_held_for_redaction(caplog: pytest.LogCaptureFixture) -> None:
    """A client's API key is redacted while it lives; close() or garbage collection forgets it, 2,000 clients too."""
    gc.collect()  # clients of earlier tests that only the cycle collector frees
    before = len(_logs.SECRETS)
    live = Dots(client_id="live-client", api_key="sk_live_key_of_a_live_client", base_url="http://127.0.0.1:9")
    closed = Dots(client_id="closed-client", api_key="sk_key_of_a_closed_client", base_url="http://127.0.0.1:9")
    dropped = Dots(client_id="dropped-client", api_key="sk_key_of_a_dropped_client", base_url="http://127.0.0.1:9")
    closed.close()
    del dropped
    gc.collect()
    for number in range(2000):
        Dots(client_id="many", api_key=f"sk_one_of_many_{number}", base_url="http://127.0.0.1:9").close()
    assert "sk_live_key_of_a_live_client" in _logs.SECRETS
    assert "sk_key_of_a_closed_client" not in _logs.SECRETS
    assert "sk_key_of_a_dropped_client" not in _logs.SECRETS
    assert len(_logs.SECRETS) == before + 2  # the live client's key and Basic credentials
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        _logs.logger.debug("oops: %s", "sk_live_key_of_a_live_client")
    assert caplog.messages == ["oops: [redacted]"]
    live.close()
    assert len(_logs.SECRETS) == before


def test_nothing_keeps_a_closed_clients_key_once_records_were_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """After a record was filtered while the client lived, close() leaves its key in no object: not in a
    compiled pattern of the redaction, nor in the `re` module's cache of them."""
    key = f"sk_closed_{uuid.uuid4().hex}"  # made at run time: no code constant holds it
    dots = Dots(client_id="closing-client", api_key=key, base_url="http://127.0.0.1:9")
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        _logs.logger.debug("while it lives: %s", key)
    assert caplog.messages == ["while it lives: [redacted]"]
    dots.close()
    del dots
    gc.collect()
    # Plain loops: a comprehension would make `key` a cell of this frame, one more holder. (re.escape
    # leaves a key of letters, digits and `_` as it is: a pattern holding it contains it.)
    kept: list[object] = []
    for holder in gc.get_referrers(key):
        if not isinstance(holder, types.FrameType):
            kept.append(holder)
    for found in gc.get_objects():
        if isinstance(found, re.Pattern) and isinstance(found.pattern, str) and key in found.pattern:
            kept.append(found)
    assert kept == []


def test_a_records_traceback_is_redacted_like_its_message(caplog: pytest.LogCaptureFixture) -> None:
    """`logger.exception(...)` on "dots_client": a client_secret or a live key in the exception's message
    is redacted in the traceback text the handlers write, as in the message (it reached them as is)."""
    key = "sk_live_key_in_a_traceback"
    dots = Dots(client_id="traceback-client", api_key=key, base_url="http://127.0.0.1:9")
    with caplog.at_level(logging.DEBUG, logger="dots_client"):
        try:
            raise RuntimeError(f"confirm failed for pi_secret_6f1c2d3e4b5a4c6d with {key}")
        except RuntimeError:
            _logs.logger.exception("it failed")
    dots.close()
    assert "RuntimeError: confirm failed for [redacted] with [redacted]" in caplog.text
    assert "pi_secret_6f1c2d3e4b5a4c6d" not in caplog.text


def test_a_client_collected_while_the_secrets_are_locked_does_not_deadlock() -> None:
    """A client's finalizer run by a collection inside the secrets' locked section (any allocation there
    can start one) neither waits for that lock nor keeps the key: seen as a hang of a whole test run."""
    Dots(client_id="cyclic", api_key="sk_key_of_a_cyclic_client", base_url="http://127.0.0.1:9").payment_intents  # noqa: B018 - a cycle
    ended = threading.Event()

    def collect_while_locked() -> None:
        with _logs.SECRETS._lock:  # what hold() and release() hold while they allocate
            gc.collect()
        ended.set()

    worker = threading.Thread(target=collect_while_locked, daemon=True)
    worker.start()
    worker.join(10)
    assert ended.is_set(), "the finalizer waited for the lock its own thread held"
    assert "sk_key_of_a_cyclic_client" not in _logs.SECRETS
