"""What the test sandbox received and what it did: one `Received` per HTTP request, in arrival order.

Whether a request committed a change is taken from the store itself: `RecordingStore` marks the
request being served (a context variable, set per request task) when one of the store's writing
transactions returns committed, so a test can assert that a payment happened exactly once even
when its answer was lost, refused or never read (never inferred from the answer's status).
"""

from __future__ import annotations

import contextvars
import dataclasses
import threading

from dots_sandbox.store import Confirmation, Event, Intent, Refusal, Settlement, SQLiteStore, Transition


@dataclasses.dataclass(slots=True)
class Received:
    """One request: `operation_id` (None: no route), `method`, `path`, the `status` answered (None: no
    answer was sent, as with the fault `lose-answer`), `committed` (a store transaction of this request
    committed a change), and the `fault` applied to it (None, or the `fail_next` kind)."""

    operation_id: str | None
    method: str
    path: str
    status: int | None = None
    committed: bool = False
    fault: str | None = None


_serving: contextvars.ContextVar[Received | None] = contextvars.ContextVar("dots_testing_serving", default=None)


class Journal:
    """The requests received since the last reset, safe to read from the test's thread while the server writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Received] = []

    def begin(self, entry: Received) -> None:
        """Add `entry` and make it the one the store marks for the rest of this request's task."""
        with self._lock:
            self._entries.append(entry)
        _serving.set(entry)

    def entries(self, operation_id: str | None = None) -> list[Received]:
        """Copies of the entries (all, or those of `operation_id`), oldest first."""
        with self._lock:
            return [dataclasses.replace(e) for e in self._entries if operation_id in (None, e.operation_id)]

    def clear(self) -> None:
        """Forget every entry (a reset)."""
        with self._lock:
            self._entries.clear()


def _committed() -> None:
    entry = _serving.get()
    if entry is not None:
        entry.committed = True


def _unless_refused(result: Intent | Refusal) -> Intent | Refusal:
    """`result`, marking the request committed when it is an Intent (a Refusal: the transaction changed nothing)."""
    if not isinstance(result, Refusal):
        _committed()
    return result


class RecordingStore(SQLiteStore):
    """An in-memory SQLite store that marks the request being served when a writing transaction commits.

    Every store call of the sandbox's request path runs on the event loop (an in-memory SQLite store has
    no store threads: `concurrency` is 0), in the request's own task, so the context variable is seen.
    """

    def add_with(self, intent: Intent, event: Event | None, settlement: Settlement | None) -> None:
        """SQLiteStore.add_with; returning at all means the transaction committed."""
        super().add_with(intent, event, settlement)
        _committed()

    def confirm(
        self, client_id: str, intent_id: str, unconfirmed: frozenset[str], confirmation: Confirmation
    ) -> Intent | Refusal:
        """SQLiteStore.confirm; an Intent back means the transaction committed, a Refusal that it changed nothing."""
        return _unless_refused(super().confirm(client_id, intent_id, unconfirmed, confirmation))

    def transition(
        self, client_id: str, intent_id: str, from_statuses: frozenset[str], transition: Transition
    ) -> Intent | Refusal:
        """SQLiteStore.transition; an Intent back means the transaction committed."""
        return _unless_refused(super().transition(client_id, intent_id, from_statuses, transition))
