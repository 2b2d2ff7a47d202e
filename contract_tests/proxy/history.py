"""What the proxy saw of each intent over a run, and the lifecycle rules applied across exchanges.

Every rule is a function of `contract_tests.lifecycle_rules` (the ones the suite's `test_behaviour.py`
asserts); this module only remembers what they need: each intent's last answer, who created it,
whether a confirm of it was answered 200, and the ids answered 404 that were never created.
Exchanges are observed in the order their answers ended, which is the order the server decided
them in for one intent (a caller cannot see an answer before the server made it).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any

from contract_tests import lifecycle_rules
from contract_tests.lifecycle_rules import Problem
from contract_tests.spec_data import UNCONFIRMED_STATUSES

# The names of the rules in reports: one JUnit case per rule per operation.
CREATED = "create-answer"
NAMED_INTENT = "answers-the-named-intent"
CONFIRMED = "confirm-answer"
SECOND_CONFIRM = "second-confirm-refused"
NOT_FOUND = "not-found-body"
NEVER_CREATED = "no-intent-from-nowhere"
OWN_INTENTS = "own-intents-only"
KEPT_FIELDS = "fields-never-change"
TRANSITIONS = "status-transitions"
RULES = (
    CREATED,
    NAMED_INTENT,
    CONFIRMED,
    SECOND_CONFIRM,
    NOT_FOUND,
    NEVER_CREATED,
    OWN_INTENTS,
    KEPT_FIELDS,
    TRANSITIONS,
)
CREATE, RETRIEVE, CONFIRM = "create_payment_intent", "retrieve_payment_intent", "confirm_payment_intent"


def canonical_id(value: object) -> str | None:
    """The UUID spelled in its canonical lower-case form, or None when `value` is not a UUID."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


@dataclasses.dataclass
class Intent:
    """One intent as the proxy last saw it."""

    owner: str | None
    """The client id that created it through the proxy (None: created elsewhere)."""
    answer: dict[str, Any]
    """Its latest answer (create's, retrieve's or confirm's)."""
    confirmed: bool = False
    """A confirm of it was answered 200 (or create confirmed it)."""
    changes: int = 0
    """How many status changes the proxy saw or caused (a confirm sent counts): what a webhook announces."""


@dataclasses.dataclass
class History:
    """The run's memory of intents; `observe` returns the lifecycle rules each exchange broke."""

    intents: dict[str, Intent] = dataclasses.field(default_factory=dict)
    not_found: set[str] = dataclasses.field(default_factory=set)
    """Ids answered 404 and never seen created."""
    confirms_sent: dict[str, int] = dataclasses.field(default_factory=dict)
    """Confirms forwarded per intent id (in flight or answered): a webhook may announce their change first."""

    def confirm_sent(self, intent_id: str) -> None:
        """Note a confirm forwarded for `intent_id` (before its answer is known)."""
        key = canonical_id(intent_id)
        if key is not None:
            self.confirms_sent[key] = self.confirms_sent.get(key, 0) + 1

    def observe(
        self, operation: str, *, path_id: str | None, sent: Any, status: int, body: bytes, caller: str | None
    ) -> dict[str, list[Problem]]:
        """Apply the lifecycle rules to one judged exchange: rule name → its problems (only rules that ran).

        `operation` is the operationId, `path_id` the path's payment_intent_id (None for create),
        `sent` the request body as JSON, `status` and `body` the answer (decoded bytes), `caller`
        the HTTP Basic user name.
        """
        answer = json_body(body)
        key = canonical_id(path_id)
        if operation == CREATE:
            return self._create(sent, status, answer, caller)
        if key is None:
            return {}
        if status == 404:
            if key not in self.intents:
                self.not_found.add(key)
            return {NOT_FOUND: _some(lifecycle_rules.not_found_body(answer))}
        known = self.intents.get(key)
        results: dict[str, list[Problem]] = {}
        if operation == CONFIRM and known is not None and (known.confirmed or _confirmed_status(known.answer)):
            results[SECOND_CONFIRM] = _some(lifecycle_rules.refused_as_already_confirmed(status, answer))
        if status == 200 and isinstance(answer, Mapping):
            sent = sent if isinstance(sent, Mapping) else {}
            results.update(self._shown(operation, key, sent=sent, answer=answer, caller=caller))
        return results

    def _create(self, sent: Any, status: int, answer: Any, caller: str | None) -> dict[str, list[Problem]]:
        if status != 200 or not isinstance(answer, Mapping):
            return {}
        self._created(answer, caller)
        sent = sent if isinstance(sent, Mapping) else {}
        return {
            CREATED: [
                *lifecycle_rules.created_as_sent(sent, answer),
                *_some(lifecycle_rules.created_status(sent, answer)),
            ]
        }

    def _shown(
        self, operation: str, key: str, *, sent: Mapping[str, Any], answer: Mapping[str, Any], caller: str | None
    ) -> dict[str, list[Problem]]:
        """The rules for a 200 of retrieve or confirm showing the intent `key` names."""
        results = {NAMED_INTENT: _some(lifecycle_rules.answers_the_named_intent(key, answer))}
        if operation == CONFIRM:
            results[CONFIRMED] = lifecycle_rules.confirmed_answer(sent, answer)
        known = self.intents.get(key)
        if known is None:
            results[NEVER_CREATED] = (
                [Problem(f"404 (this run saw {key} answered 404 and never created)", "200")]
                if key in self.not_found
                else []
            )
            self.intents[key] = Intent(owner=None, answer=dict(answer), confirmed=operation == CONFIRM)
            return results
        results[OWN_INTENTS] = (
            [Problem(f"only {caller}'s intents", f"an intent created by {known.owner}")]
            if known.owner is not None and caller is not None and caller != known.owner
            else []
        )
        results[KEPT_FIELDS] = _some(lifecycle_rules.kept_fields(known.answer, answer))
        results[TRANSITIONS] = _some(
            lifecycle_rules.allowed_transition(known.answer.get("status"), answer.get("status"))
        )
        if answer.get("status") != known.answer.get("status"):
            known.changes += 1
        known.answer = dict(answer)
        known.confirmed = known.confirmed or operation == CONFIRM
        return results

    def _created(self, answer: Mapping[str, Any], caller: str | None) -> None:
        key = canonical_id(answer.get("id"))
        if key is None:
            return
        self.not_found.discard(key)
        stored = {name: value for name, value in answer.items() if name != "client_secret"}
        confirmed = _confirmed_status(stored)
        self.intents[key] = Intent(owner=caller, answer=stored, confirmed=confirmed, changes=int(confirmed))

    def announced_change(self, intent_id: str) -> Problem | None:
        """Whether a webhook announcing a change of `intent_id` follows a change the proxy saw or sent.

        None also for an intent the proxy never saw created: it may have been changed elsewhere.
        """
        key = canonical_id(intent_id)
        known = self.intents.get(key) if key is not None else None
        if known is None or known.owner is None:
            return None
        if known.changes or self.confirms_sent.get(key or "", 0) or not _unconfirmed(known.answer):
            return None
        status = known.answer.get("status")
        return Problem("an event only after a status change (a confirm, a settlement)", f"still {status!r}")


def json_body(body: bytes) -> Any:
    """`body` parsed as JSON, or None."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def _some(problem: Problem | None) -> list[Problem]:
    return [] if problem is None else [problem]


def _unconfirmed(answer: Mapping[str, Any]) -> bool:
    return answer.get("status") in UNCONFIRMED_STATUSES


def _confirmed_status(answer: Mapping[str, Any]) -> bool:
    return "status" in answer and not _unconfirmed(answer)
