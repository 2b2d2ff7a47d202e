"""The lifecycle smoke `make check-compat` runs with one version of `dots_client` against one sandbox.

`python -m tools.compat_smoke BASE_URL` prints one JSON object per step (`name`, `expected`, `got`, `ok`)
and exits 0 whatever the steps gave: the judge is :mod:`tools.compat`. Credentials come from the
environment (DOTS_CLIENT_ID, DOTS_API_KEY), never the command line. Whichever `dots_client` is first on
`sys.path` is the one tested (BASE's committed `generated/`, put there by PYTHONPATH, or the working
tree's), so this module names only what every client generated from the spec has had: the low-level
operation modules (`dots_client.api.payment_intents.<operationId>.sync_detailed`), the models'
`from_dict`, and `AuthenticatedClient`. An operation renamed is a step that fails (`ModuleNotFoundError`).

The steps: create; confirm to each outcome the sandbox's magic payment methods give (docs/sandbox.md:
succeeded, failed, requires_action, processing); retrieve; and each documented error: confirm again
(409), an unknown intent (404), an invalid create (400), wrong credentials (401).
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import sys
import uuid
from dataclasses import asdict, dataclass
from typing import Any

CREATE = "create_payment_intent"
CONFIRM = "confirm_payment_intent"
RETRIEVE = "retrieve_payment_intent"
# The sandbox's payment methods that choose a confirm's outcome (dots_sandbox/lifecycle.py).
OUTCOMES = {
    "succeeded": "00000000-0000-4000-8000-000000000001",
    "failed": "00000000-0000-4000-8000-000000000002",
    "requires_action": "00000000-0000-4000-8000-000000000003",
    "processing": "00000000-0000-4000-8000-000000000004",
}
DEFAULT_CREDENTIALS = ("sandbox-client-id", "sandbox-api-key")


@dataclass(frozen=True)
class Step:
    """One step: what it expected (`200 succeeded`, `409 payment-intent-already-confirmed`) and what it got."""

    name: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        """Whether it got what it expected."""
        return self.got == self.expected


def _operation(name: str) -> Any:
    return importlib.import_module(f"dots_client.api.payment_intents.{name}")


def _model(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"dots_client.models.{module}"), name)


def _seen(response: Any) -> str:
    """`STATUS DETAIL`: an intent's status, an error's code, or `unreadable` when the body did not parse."""
    status = int(response.status_code)
    parsed = response.parsed
    if parsed is None:
        return f"{status} unreadable"
    for field in ("status", "code"):
        value = getattr(parsed, field, None)
        if value is not None and type(value).__name__ != "Unset":
            return f"{status} {getattr(value, 'value', value)}"
    return f"{status} {type(parsed).__name__}"


class Smoke:
    """The steps, against `base_url` with the given credentials, through the importable `dots_client`."""

    def __init__(self, base_url: str, client_id: str, api_key: str) -> None:
        self.base_url = base_url
        self.credentials = (client_id, api_key)
        self.steps: list[Step] = []
        self._clients: dict[tuple[str, str], Any] = {}

    def _client(self, credentials: tuple[str, str] | None = None) -> Any:
        """One client per pair of credentials, made on first use (a client that cannot be made fails the step)."""
        key = credentials or self.credentials
        if key not in self._clients:
            token = base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()
            authenticated = importlib.import_module("dots_client").AuthenticatedClient
            self._clients[key] = authenticated(base_url=self.base_url, token=token, prefix="Basic")
        return self._clients[key]

    def close(self) -> None:
        """Close the clients' connections."""
        for client in self._clients.values():
            client.get_httpx_client().close()
        self._clients.clear()

    def _create(self, body: dict[str, Any], client: Any = None) -> Any:
        request = _model("create_payment_intent_request", "CreatePaymentIntentRequest").from_dict(body)
        return _operation(CREATE).sync_detailed(client=client or self._client(), body=request)

    def _confirm(self, intent_id: Any, payment_method_id: str) -> Any:
        request = _model("confirm_payment_intent_request", "ConfirmPaymentIntentRequest").from_dict(
            {"payment_method_id": payment_method_id}
        )
        return _operation(CONFIRM).sync_detailed(intent_id, client=self._client(), body=request)

    def _step(self, name: str, expected: str, action: Any) -> Any:
        """Run `action` (returning a response), record what it got; the response, or None when it raised."""
        try:
            response = action()
        except Exception as error:  # any exception of the client is what the step reports
            self.steps.append(Step(name, expected, f"client error: {type(error).__name__}: {error}"[:200]))
            return None
        self.steps.append(Step(name, expected, _seen(response)))
        return response

    def run(self) -> list[Step]:
        """Every step, in order; one that cannot start (its intent was not created) reports the create's answer."""
        try:
            self._steps()
        finally:
            self.close()
        return self.steps

    def _steps(self) -> None:
        self._step("create", "200 initialized", lambda: self._create({"amount": 1000, "currency": "usd"}))
        confirmed: dict[str, Any] = {}
        for outcome, method in OUTCOMES.items():
            created = self._create_quietly()
            if created is None:
                self.steps.append(Step(f"confirm to {outcome}", f"200 {outcome}", "no intent: create failed"))
                continue
            response = self._step(
                f"confirm to {outcome}", f"200 {outcome}", lambda c=created, m=method: self._confirm(c, m)
            )
            if response is not None and response.parsed is not None:
                confirmed[outcome] = created
        intent = confirmed.get("succeeded")
        if intent is None:
            self.steps.append(Step("retrieve", "200 succeeded", "no intent: confirm failed"))
            self.steps.append(
                Step("confirm again", "409 payment-intent-already-confirmed", "no intent: confirm failed")
            )
        else:
            self._step(
                "retrieve", "200 succeeded", lambda: _operation(RETRIEVE).sync_detailed(intent, client=self._client())
            )
            self._step(
                "confirm again",
                "409 payment-intent-already-confirmed",
                lambda: self._confirm(intent, OUTCOMES["succeeded"]),
            )
        self._step(
            "retrieve unknown",
            "404 not-found",
            lambda: _operation(RETRIEVE).sync_detailed(uuid.uuid4(), client=self._client()),
        )
        self._step("create invalid", "400 invalid-input", lambda: self._create({"amount": 0, "currency": "usd"}))
        wrong = (self.credentials[0], self.credentials[1] + "-wrong")
        self._step(
            "wrong credentials",
            "401 unauthorized",
            lambda: self._create({"amount": 1000, "currency": "usd"}, self._client(wrong)),
        )

    def _create_quietly(self) -> Any:
        try:
            response = self._create({"amount": 1000, "currency": "usd"})
        except Exception:  # the create step has reported it
            return None
        return getattr(response.parsed, "id", None) if int(response.status_code) == 200 else None


def main(argv: list[str] | None = None) -> int:
    """Run the smoke against `argv[0]` (a base URL); print one JSON line per step."""
    args = sys.argv[1:] if argv is None else argv
    client_id = os.environ.get("DOTS_CLIENT_ID", DEFAULT_CREDENTIALS[0])
    api_key = os.environ.get("DOTS_API_KEY", DEFAULT_CREDENTIALS[1])
    for step in Smoke(args[0], client_id, api_key).run():
        print(json.dumps({**asdict(step), "ok": step.ok}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
