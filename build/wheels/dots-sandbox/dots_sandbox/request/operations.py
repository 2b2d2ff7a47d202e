"""An operation as the request path runs it: its handler, and what it does to the store.

Where an operation runs is decided by what it does to the store, declared per operation by the
class that handles it (`ACCESS`), never by its HTTP method:

- `Access.READ_ONE`: one indexed read; runs on the event loop (it is over before a thread hand-off
  would be).
- `Access.READ_MANY` (several queries) and `Access.WRITE` (a transaction that commits, and waits
  for the commit's flush): on a store thread when the store has any (`Store.concurrency` > 0),
  so the loop goes on serving meanwhile.

A store with no threads (SQLite: local and fast) runs every operation on the loop.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[[str, Mapping[str, str], Any], dict[str, Any]]


class Access(enum.Enum):
    """What an operation does to the store."""

    READ_ONE = "read one"
    READ_MANY = "read many"
    WRITE = "write"


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """An operation's handler (client id, path parameters, body → answer) and whether it runs on the loop."""

    handler: Handler
    on_loop: bool


def operation(handler: Handler, access: Access, store_threads: int) -> Operation:
    """The Operation for `handler`, which does `access` to a store with `store_threads` threads."""
    return Operation(handler, store_threads == 0 or access is Access.READ_ONE)
