"""tools/breaking/accepted.py: the committed file of reviewed, accepted changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.breaking.catalogue import ROOT
from tools.breaking.accepted import ACCEPTED_NAME, Entry, apply, load_accepted
from tools.breaking.model import BREAKING, NON, Change
from tools.breaking.read import Refused

CHANGE = Change(BREAKING, "response-enum-value-removed", "#/components/schemas/S/enum", "gone", "GET /t")


def test_entries_are_read_with_their_reason(tmp_path: Path) -> None:
    """Each entry keeps its rule, pointer, reason (whitespace folded) and where it is written."""
    path = tmp_path / ACCEPTED_NAME
    path.write_text(
        "accepted:\n  - rule: r\n    pointer: '#/p'\n    why: >-\n      never sent,\n      reviewed\n", encoding="utf-8"
    )
    assert load_accepted(path) == [Entry("r", "#/p", "never sent, reviewed", f"{ACCEPTED_NAME} entry 1")]


def test_no_file_means_nothing_accepted(tmp_path: Path) -> None:
    """A missing file accepts nothing (the gate judges every change)."""
    assert load_accepted(tmp_path / ACCEPTED_NAME) == []


@pytest.mark.parametrize(
    "text",
    [
        "accepted: {}\n",
        "accepted:\n  - rule: r\n    pointer: '#/p'\n",
        "accepted:\n  - rule: r\n    pointer: '#/p'\n    why: ''\n",
        "accepted:\n  - rule: r\n    pointer: '#/p'\n    why: w\n    until: never\n",
        "accepted: [unclosed\n",
    ],
)
def test_a_malformed_file_is_refused(tmp_path: Path, text: str) -> None:
    """An entry without a reason (or the wrong shape) stops the gate instead of accepting silently."""
    path = tmp_path / ACCEPTED_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Refused, match=ACCEPTED_NAME):
        load_accepted(path)


def test_apply_matches_rule_and_pointer_exactly() -> None:
    """Only the same rule at the same pointer is accepted; an entry matching nothing is returned as unmatched."""
    other = Change(NON, "docs-changed", "#/info/description", "d", "info")
    exact = Entry(CHANGE.rule, CHANGE.pointer, "safe", "f entry 1")
    near = Entry(CHANGE.rule, CHANGE.pointer + "/0", "safe", "f entry 2")
    kept, accepted, unmatched = apply([CHANGE, other], [exact, near])
    assert kept == [other]
    assert accepted == [(CHANGE, exact)]
    assert unmatched == [near]


def test_the_committed_file_accepts_nothing_today() -> None:
    """The repository's file parses and holds no stale entry (it is empty until a change needs one)."""
    assert load_accepted(ROOT / ACCEPTED_NAME) == []
