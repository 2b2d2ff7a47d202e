"""The settlement timer: `processing` intents whose settlement is due move to `succeeded` or `failed`.

Settlement rows are written with the confirm that left the intent `processing` (one
transaction), so a settlement due while the server was down happens at the first tick after
the restart. Each settlement is applied once, whichever process ticks (the store's `settle`
claims the row), together with its event.
"""

from __future__ import annotations

from dots_sandbox.background.changes import Changes
from dots_sandbox.store import Intent, Store

BATCH = 100


class Settler:
    """Applies due settlements; `tick()` is one pass (the background worker calls it periodically)."""

    def __init__(self, store: Store, changes: Changes) -> None:
        self.store = store
        self.changes = changes

    def tick(self) -> list[Intent]:
        """Settle every settlement due now (by `changes.clock`); the intents this call moved on."""
        settled = []
        while True:
            due = self.store.due_settlements(self.changes.clock(), BATCH)
            for settlement in due:
                transition = self.changes.transition(
                    settlement.client_id, settlement.payment_intent_id, settlement.status
                )
                intent = self.store.settle(settlement, transition)
                if intent is not None:
                    settled.append(intent)
            if len(due) < BATCH:
                return settled
