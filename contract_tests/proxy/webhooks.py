"""Webhook deliveries through the proxy: forwarded unchanged to the user's receiver, and judged.

Deliveries arrive on a port of their own (`--webhook-port`, default a free one), not under a path
of the API port: the sender (Dots' Svix, or the sandbox's `SANDBOX_WEBHOOKS`) must reach the
webhook listener, often from outside (a tunnel), while the API side forwards whatever it gets
to the upstream with the caller's credentials and should stay on loopback; and no path of the
upstream's can ever collide with it. Every request there is forwarded to `--webhooks-to`: a
delivery to `/` reaches the receiver URL itself, a delivery to `/x` its path with `/x` appended.

Each delivery is judged after the receiver answered: its signature with the `svix` library
(`Webhook(secret).verify`, which checks the timestamp too), the request against the spec's
`webhooks` entry (method, the `svix-*` header parameters, content type, the body's schema), and
its `payment_intent_id` against what the proxy saw of that intent (an event follows a change).
The receiver's answer is recorded, not judged: it is the user's code, not Dots'.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs
from svix.webhooks import Webhook, WebhookVerificationError

from dots_spec.document import load_spec
from dots_spec.refs import resolve
from dots_spec.validators import compile_schema

from ..spec_data import JSON
from .forwarding import Exchange
from .history import History, json_body
from .judging import Violation

SIGNATURE = "webhook-signature"
CONFORMANCE = "webhook-conformance"
FOLLOWS_A_CHANGE = "webhook-follows-a-change"
CHECKS = (SIGNATURE, CONFORMANCE, FOLLOWS_A_CHANGE)


@functools.cache
def _webhook(name: str) -> tuple[str, dict[str, jsonschema_rs.Validator], jsonschema_rs.Validator]:
    """The spec's webhook `name`: its method, header validators (lower-case names) and body validator."""
    spec = load_spec()
    ((method, operation),) = spec["webhooks"][name].items()
    parameters = [resolve(parameter, spec) for parameter in operation.get("parameters", [])]
    headers = {p["name"].lower(): compile_schema(p["schema"], spec) for p in parameters if p["in"] == "header"}
    body = resolve(operation["requestBody"], spec)["content"][JSON]["schema"]
    return method.upper(), headers, compile_schema(body, spec)


def webhook_names() -> list[str]:
    """The webhooks openapi.yaml declares (its event types)."""
    return list(load_spec().get("webhooks", {}))


class WebhookJudge:
    """Judges deliveries with the endpoint's `whsec_` secret and the run's `History`."""

    def __init__(self, secret: str, history: History) -> None:
        self._verifier = Webhook(secret)
        self.history = history

    def __repr__(self) -> str:
        return "WebhookJudge(secret=[redacted])"

    def judge(self, exchange: Exchange) -> tuple[str | None, dict[str, list[Violation]]]:
        """The delivery's event type (None if unknown) and each check's violations (empty: it passed)."""
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in exchange.request_headers}
        body = json_body(exchange.request_body)
        event = body.get("event") if isinstance(body, dict) else None
        name = event if isinstance(event, str) and event in webhook_names() else None
        intent_id = body.get("payment_intent_id") if isinstance(body, dict) else None
        intent = intent_id if isinstance(intent_id, str) else None
        label = name or "webhook"
        results: dict[str, list[Violation]] = {SIGNATURE: [], CONFORMANCE: [], FOLLOWS_A_CHANGE: []}
        try:
            exchange.request_body.decode("utf-8")
        except UnicodeDecodeError as error:
            # JSON between systems is UTF-8 (RFC 8259 §8.1), and svix verifies text: neither can be judged further.
            found = f"bytes that are not UTF-8 ({error.reason} at byte {error.start})"
            results[CONFORMANCE].append(Violation(CONFORMANCE, label, intent, "a UTF-8 JSON body", found))
            results[SIGNATURE].append(Violation(SIGNATURE, label, intent, "a signed UTF-8 body", found))
            return name, results
        try:
            self._verifier.verify(exchange.request_body, headers)
        except WebhookVerificationError as error:
            results[SIGNATURE].append(
                Violation(SIGNATURE, label, intent, "a valid Svix signature and timestamp", str(error))
            )
        for problem in _conformance(exchange, headers, body, name):
            results[CONFORMANCE].append(Violation(CONFORMANCE, label, intent, "a delivery the spec describes", problem))
        if intent is not None and not results[SIGNATURE]:
            unannounced = self.history.announced_change(intent)
            if unannounced is not None:
                results[FOLLOWS_A_CHANGE].append(
                    Violation(FOLLOWS_A_CHANGE, label, intent, unannounced.expected, unannounced.found)
                )
        return name, results


def _conformance(exchange: Exchange, headers: dict[str, str], body: Any, name: str | None) -> list[str]:
    if name is None:
        found = body.get("event") if isinstance(body, dict) else body
        return [f"an event type of the spec's webhooks ({', '.join(webhook_names())}), not {found!r}"]
    method, header_validators, body_validator = _webhook(name)
    problems = [] if exchange.method == method else [f"method {exchange.method}, not {method}"]
    for header, validator in header_validators.items():
        if header not in headers:
            problems.append(f"header {header} is missing")
        else:
            problems += [f"header {header}: {error.message}" for error in validator.iter_errors(headers[header])]
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        problems.append(f"content type {content_type!r}, not {JSON}")
    problems += [f"body: {error.message}" for error in body_validator.iter_errors(body)]
    return problems
