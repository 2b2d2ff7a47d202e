"""Reviewed false alarms: the committed file of accepted changes (like oasdiff's `--err-ignore`).

`openapi-accepted-changes.yaml`, next to the spec, lists changes a person has reviewed and judged safe:

```yaml
accepted:
  - rule: response-enum-value-removed
    pointer: "#/components/schemas/PaymentIntentStatus/enum"
    why: requires_capture was never sent; no client can name it (reviewed in #123)
```

An entry matches a change exactly: the same rule and the same JSON pointer (as the report prints it,
without ` (in BASE)`). A matched change leaves its class and is listed under ACCEPTED with the entry's
`why`; it counts towards neither the verdict nor the bump. An entry that matches no change is listed under
UNMATCHED ACCEPTED ENTRIES, so it is removed once its change has reached BASE (and cannot silently accept
a later change at the same place). A file that cannot be read this way stops the gate (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.breaking.model import Change
from tools.breaking.read import Refused

ACCEPTED_NAME = "openapi-accepted-changes.yaml"
ENTRY_KEYS = frozenset({"rule", "pointer", "why"})


@dataclass(frozen=True)
class Entry:
    """One accepted change: the rule and pointer it matches, why it is safe, and where it is written."""

    rule: str
    pointer: str
    why: str
    origin: str


def load_accepted(path: Path) -> list[Entry]:
    """The entries of the accepted-changes file at `path` (none when it does not exist).

    Raises :class:`~tools.breaking.read.Refused` when it is not YAML, has no `accepted` list, or an entry
    lacks `rule`, `pointer` or `why` (each a non-empty string) or has other keys.
    """
    if not path.is_file():
        return []
    try:
        loaded: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise Refused(f"{path}: not YAML: fix or remove the accepted-changes file") from None
    if loaded is None:
        return []
    entries = loaded.get("accepted") if isinstance(loaded, dict) else None
    if not isinstance(entries, list):
        raise Refused(f"{path}: expected a mapping with an `accepted` list of {{rule, pointer, why}} entries")
    found = []
    for index, entry in enumerate(entries, start=1):
        if (
            not isinstance(entry, dict)
            or set(entry) != ENTRY_KEYS
            or not all(isinstance(entry[key], str) and entry[key].strip() for key in ENTRY_KEYS)
        ):
            raise Refused(
                f"{path}: entry {index} must have exactly `rule`, `pointer` and `why`, each a non-empty string"
            )
        found.append(
            Entry(entry["rule"], entry["pointer"], " ".join(entry["why"].split()), f"{path.name} entry {index}")
        )
    return found


def apply(changes: list[Change], entries: list[Entry]) -> tuple[list[Change], list[tuple[Change, Entry]], list[Entry]]:
    """Split `changes` into those still to judge and those an entry accepts; also return unmatched entries."""
    by_key = {(entry.rule, entry.pointer): entry for entry in entries}
    kept: list[Change] = []
    accepted: list[tuple[Change, Entry]] = []
    used: set[tuple[str, str]] = set()
    for change in changes:
        key = (change.rule, change.pointer)
        if key in by_key:
            accepted.append((change, by_key[key]))
            used.add(key)
        else:
            kept.append(change)
    return kept, accepted, [entry for entry in entries if (entry.rule, entry.pointer) not in used]
