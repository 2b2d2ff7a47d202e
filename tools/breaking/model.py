"""What the gate reports: the class of a change and one classified change."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """The class of a change; lower sorts first (the most serious is printed first)."""

    BREAKING = 0
    POSSIBLY_BREAKING = 1
    NON_BREAKING = 2

    @property
    def label(self) -> str:
        """The class as the report prints it: `breaking`, `possibly breaking` or `non-breaking`."""
        return self.name.lower().replace("_", " ").replace("non ", "non-")


BREAKING, POSSIBLY, NON = Severity.BREAKING, Severity.POSSIBLY_BREAKING, Severity.NON_BREAKING


@dataclass(frozen=True, order=True)
class Change:
    """One classified change.

    `pointer` is the JSON pointer of the changed node in the new spec, or in the base spec when the node was
    removed (`in_base`); `where` names the operation and field it affects (`POST /v2/payment-intents request
    body.amount`), or the component for changes outside operations.
    """

    severity: Severity
    rule: str
    pointer: str
    message: str
    where: str
    in_base: bool = False
