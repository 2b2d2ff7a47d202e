"""Raw HTTP calls to the three operations, keeping a transcript to explain and reproduce a failure.

The behavioural properties speak HTTP directly (httpx), not through the generated client, so a
client bug cannot hide a server bug. Each property example starts a new `Api`; an assertion
message ends with `api.explain(...)`: what went wrong, then every request of the example as a
curl command (credentials from the environment, never printed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import httpx

from .reporting import curl_command
from .spec_data import LATER_STATUSES, spec_operations

_MAX_BODY_CHARS = 600


@dataclasses.dataclass
class Api:
    """The operations of openapi.yaml over `http`, by operationId."""

    http: httpx.Client
    transcript: list[tuple[httpx.Request, httpx.Response]] = dataclasses.field(default_factory=list)

    def call(self, operation_id: str, body: Any = None, **path: str) -> httpx.Response:
        """Send one operation; path parameters by name, the body as JSON."""
        op = spec_operations()[operation_id]
        url = op.url_path(**path).lstrip("/")
        if body is None:
            response = self.http.request(op.method.upper(), url)
        else:
            response = self.http.request(op.method.upper(), url, json=body)
        self.transcript.append((response.request, response))
        return response

    def create(self, body: dict[str, Any]) -> httpx.Response:
        """POST /v2/payment-intents."""
        return self.call("create_payment_intent", body)

    def retrieve(self, intent_id: str) -> httpx.Response:
        """GET /v2/payment-intents/{id}."""
        return self.call("retrieve_payment_intent", payment_intent_id=intent_id)

    def confirm(self, intent_id: str, body: dict[str, Any]) -> httpx.Response:
        """POST /v2/payment-intents/{id}/confirm."""
        return self.call("confirm_payment_intent", body, payment_intent_id=intent_id)

    def created(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an intent; its JSON (AssertionError, explained, unless answered 200)."""
        response = self.create(body)
        assert response.status_code == 200, self.explain(f"create answered {response.status_code}, not 200")
        intent: dict[str, Any] = response.json()
        return intent

    def explain(self, message: str) -> str:
        """`message`, the requests of this example with their answers, and how to send them again."""
        lines = [message, "", "Requests of this example (oldest first):"]
        for request, response in self.transcript:
            text = response.text
            if len(text) > _MAX_BODY_CHARS:
                text = text[:_MAX_BODY_CHARS] + "…"
            lines.append(f"  {request.method} {request.url.path} -> {response.status_code} {text}")
        if self.transcript:
            lines += ["", "Reproduce with:", ""]
            lines += [f"    {curl_command(request)}" for request, _ in self.transcript]
        return "\n".join(lines)


def not_moved_on(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why `after` is neither `before` nor a later outcome of it (openapi.yaml, Later outcomes); None if it is.

    `before` is an answer for an intent, `after` a later answer for the same intent. Only
    `processing` and `requires_action` move on without a request, to a status LATER_STATUSES
    names, changing nothing but `status` and (on `succeeded`) adding `transfer_id`. So a
    property comparing answers over time holds against a server whose intents settle meanwhile.
    """
    if after == before:
        return None
    was, now = before.get("status"), after.get("status")
    if now not in LATER_STATUSES.get(str(was), frozenset()):
        return f"the intent went from {was!r} to {now!r}, which is no later outcome of it"
    unchanged = {key: value for key, value in before.items() if key not in ("status", "transfer_id")}
    if {key: value for key, value in after.items() if key not in ("status", "transfer_id")} != unchanged:
        return "a later outcome changed fields other than status and transfer_id"
    if "transfer_id" in before and after.get("transfer_id") != before["transfer_id"]:
        return "a later outcome changed the transfer_id"
    if now == "succeeded" and "transfer_id" not in after:
        return "the intent succeeded later without a transfer_id"
    return None
