"""What the proxy saw of each intent over a run, and the lifecycle rules applied across exchanges.

Every rule is a function of `contract_tests.lifecycle_rules` (the ones the suite's `test_behaviour.py`
asserts); this module only remembers what they need: each status an intent was shown in and when
that answer ended, who created it, when a confirm of it was answered 200, and the ids answered 404
that were never created.

**Order by time, not by arrival.** Exchanges reach the judge in the order their answers ended,
which is not the order the server decided them in: a retrieve whose answer was slow can end after
a confirm's although the server read the intent before confirming it. What is certain is only
this: an answer that ended before a request started was decided before it. So an exchange is
compared only with answers that ended before it started (`started`, `ended`: one monotonic clock);
answers that overlap it are never compared with it, whatever order they arrive in. Its status
must be reachable from every status such an earlier answer showed. One rule needs no order: two
confirms of one intent answered `200` are a second confirm that succeeded, however they overlap.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any

from .. import lifecycle_rules
from ..lifecycle_rules import Problem
from ..spec_data import UNCONFIRMED_STATUSES

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
    """One intent as the proxy saw it: each status it was shown in, the earliest such answer first."""

    owner: str | None
    """The client id that created it through the proxy (None: created elsewhere)."""
    shown: dict[str, tuple[float, dict[str, Any]]] = dataclasses.field(default_factory=dict)
    """Status -> (when the earliest answer showing it ended, that answer): bounded by the statuses."""
    confirmed_at: list[float] = dataclasses.field(default_factory=list)
    """When each confirm of it answered 200 ended (or create, when it confirmed it)."""

    def show(self, ended: float, answer: Mapping[str, Any]) -> None:
        """Remember an answer that ended at `ended`."""
        status = str(answer.get("status"))
        if status not in self.shown or ended < self.shown[status][0]:
            self.shown[status] = (ended, dict(answer))

    def before(self, started: float) -> list[dict[str, Any]]:
        """The answers (one per status) that ended before `started`, latest last."""
        return [answer for ended, answer in sorted(self.shown.values(), key=lambda item: item[0]) if ended < started]

    @property
    def changes(self) -> int:
        """How many status changes the proxy saw: what a webhook announces."""
        return len(self.shown) - 1


@dataclasses.dataclass
class History:
    """The run's memory of intents; `observe` returns the lifecycle rules each exchange broke."""

    intents: dict[str, Intent] = dataclasses.field(default_factory=dict)
    not_found: dict[str, float] = dataclasses.field(default_factory=dict)
    """Ids answered 404 and never seen created -> when the earliest such answer ended."""
    confirms_sent: dict[str, int] = dataclasses.field(default_factory=dict)
    """Confirms forwarded per intent id (in flight or answered): a webhook may announce their change first."""

    def confirm_sent(self, intent_id: str) -> None:
        """Note a confirm forwarded for `intent_id` (before its answer is known)."""
        key = canonical_id(intent_id)
        if key is not None:
            self.confirms_sent[key] = self.confirms_sent.get(key, 0) + 1

    def observe(
        self,
        operation: str,
        *,
        path_id: str | None,
        sent: Any,
        status: int,
        body: bytes,
        caller: str | None,
        started: float,
        ended: float,
    ) -> dict[str, list[Problem]]:
        """Apply the lifecycle rules to one judged exchange: rule name → its problems (only rules that ran).

        `operation` is the operationId, `path_id` the path's payment_intent_id (None for create),
        `sent` the request body as JSON, `status` and `body` the answer (decoded bytes), `caller`
        the HTTP Basic user name, `started` and `ended` when the request's head arrived and when
        the exchange was over (seconds on one monotonic clock): the exchange is compared only with
        answers that ended before it started.
        """
        answer = json_body(body)
        key = canonical_id(path_id)
        if operation == CREATE:
            return self._create(sent, status, answer, caller, ended)
        if key is None:
            return {}
        if status == 404:
            if key not in self.intents:
                self.not_found[key] = min(ended, self.not_found.get(key, ended))
            return {NOT_FOUND: _some(lifecycle_rules.not_found_body(answer))}
        known = self.intents.get(key)
        results: dict[str, list[Problem]] = {}
        if operation == CONFIRM and known is not None:
            confirmed_earlier = any(mark < started for mark in known.confirmed_at) or any(
                _confirmed_status(earlier) for earlier in known.before(started)
            )
            # Two 200s to confirms of one intent: one of them was a second confirm, whichever came first.
            if confirmed_earlier or (status == 200 and known.confirmed_at):
                results[SECOND_CONFIRM] = _some(lifecycle_rules.refused_as_already_confirmed(status, answer))
        if status == 200 and isinstance(answer, Mapping):
            sent = sent if isinstance(sent, Mapping) else {}
            results.update(self._shown(operation, key, sent=sent, answer=answer, caller=caller, times=(started, ended)))
        return results

    def _create(
        self, sent: Any, status: int, answer: Any, caller: str | None, ended: float
    ) -> dict[str, list[Problem]]:
        if status != 200 or not isinstance(answer, Mapping):
            return {}
        self._created(answer, caller, ended)
        sent = sent if isinstance(sent, Mapping) else {}
        return {
            CREATED: [
                *lifecycle_rules.created_as_sent(sent, answer),
                *_some(lifecycle_rules.created_status(sent, answer)),
            ]
        }

    def _shown(
        self,
        operation: str,
        key: str,
        *,
        sent: Mapping[str, Any],
        answer: Mapping[str, Any],
        caller: str | None,
        times: tuple[float, float],
    ) -> dict[str, list[Problem]]:
        """The rules for a 200 of retrieve or confirm showing the intent `key` names."""
        started, ended = times
        results = {NAMED_INTENT: _some(lifecycle_rules.answers_the_named_intent(key, answer))}
        if operation == CONFIRM:
            results[CONFIRMED] = lifecycle_rules.confirmed_answer(sent, answer)
        known = self.intents.get(key)
        if known is None:
            gone = self.not_found.get(key)
            results[NEVER_CREATED] = (
                [Problem(f"404 (this run saw {key} answered 404 and never created)", "200")]
                if gone is not None and gone < started
                else []
            )
            known = self.intents[key] = Intent(owner=None)
        else:
            results[OWN_INTENTS] = (
                [Problem(f"only {caller}'s intents", f"an intent created by {known.owner}")]
                if known.owner is not None and caller is not None and caller != known.owner
                else []
            )
            earlier = known.before(started)
            if earlier:
                results[KEPT_FIELDS] = _some(lifecycle_rules.kept_fields(earlier[-1], answer))
                results[TRANSITIONS] = [
                    problem
                    for status in dict.fromkeys(before.get("status") for before in earlier)
                    if (problem := lifecycle_rules.allowed_transition(status, answer.get("status"))) is not None
                ][:1]
        known.show(ended, answer)
        if operation == CONFIRM:
            known.confirmed_at.append(ended)
        return results

    def _created(self, answer: Mapping[str, Any], caller: str | None, ended: float) -> None:
        key = canonical_id(answer.get("id"))
        if key is None:
            return
        self.not_found.pop(key, None)
        intent = self.intents[key] = Intent(owner=caller)
        intent.show(ended, {name: value for name, value in answer.items() if name != "client_secret"})
        if _confirmed_status(answer):
            intent.confirmed_at.append(ended)

    def announced_change(self, intent_id: str) -> Problem | None:
        """Whether a webhook announcing a change of `intent_id` follows a change the proxy saw or sent.

        None also for an intent the proxy never saw created: it may have been changed elsewhere.
        """
        key = canonical_id(intent_id)
        known = self.intents.get(key) if key is not None else None
        if known is None or known.owner is None:
            return None
        if known.changes or self.confirms_sent.get(key or "", 0) or known.confirmed_at:
            return None
        statuses = " or ".join(repr(status) for status in known.shown)
        return Problem("an event only after a status change (a confirm, a settlement)", f"still {statuses}")


def json_body(body: bytes) -> Any:
    """`body` parsed as JSON, or None (not JSON, or nested too deeply to parse)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _some(problem: Problem | None) -> list[Problem]:
    return [] if problem is None else [problem]


def _unconfirmed(answer: Mapping[str, Any]) -> bool:
    return answer.get("status") in UNCONFIRMED_STATUSES


def _confirmed_status(answer: Mapping[str, Any]) -> bool:
    return "status" in answer and not _unconfirmed(answer)
