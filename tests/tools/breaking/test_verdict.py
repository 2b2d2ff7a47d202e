"""tools/breaking/verdict.py: findings, the bump the changes call for, and the major-version escape hatch."""

from __future__ import annotations

import pytest

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import (
    CONFIRM_PATH,
    CREATE_PATH,
    INTENT_PROPS,
    ONE_PATH,
    RETRIEVE,
    STATUS,
    Edit,
    append,
    drop,
    edited_spec,
    put,
)
from tools.breaking.compare import compare
from tools.breaking.model import Change
from tools.breaking.verdict import findings, major, suggested_bump, verdict


def _enum_added() -> list[Change]:
    return compare(load_spec(), edited_spec([append((*STATUS, "enum"), "refunded")]))


def test_change_points_at_component_and_operations() -> None:
    """A shared schema change names its JSON pointer once and every operation + field it reaches."""
    (finding,) = findings(_enum_added())
    assert finding.pointer == "#/components/schemas/PaymentIntentStatus/enum"
    assert finding.wheres == (
        f"GET {ONE_PATH} response 200 body.status",
        f"POST {CREATE_PATH} response 200 body.status",
        f"POST {CONFIRM_PATH} response 200 body.status",
    )


def test_major_bump_lets_breaking_changes_pass() -> None:
    """Raising info.version's major part turns a breaking change into a pass, and says so."""
    result = verdict(_enum_added(), "1.0.0", "2.0.0")
    assert result.exit_code == 0
    assert result.line.startswith("PASS: 1 breaking")
    assert "major bump" in result.line


@pytest.mark.parametrize(
    ("old", "new"), [("1.0.0", "1.0.0"), ("1.0.0", "1.1.0"), ("1.0.0", "1.0.1"), ("2.0.0", "1.9.0")]
)
def test_breaking_change_fails_without_major_bump(old: str, new: str) -> None:
    """Minor, patch, no bump or a lowered major all fail on a breaking change."""
    result = verdict(_enum_added(), old, new)
    assert result.exit_code == 1
    assert result.line.startswith("FAIL: 1 breaking, 0 possibly breaking, 0 non-breaking")


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0.0", 1), ("2.3.4-rc.1", 2), ("v3.0", 3), ("10", 10), ("1.0.0+build", 1), ("", None), ("next", None)],
)
def test_major_part_is_parsed(version: str, expected: int | None) -> None:
    """major() reads MAJOR from semver-like strings and gives None for anything else."""
    assert major(version) == expected


def test_unparsable_version_never_excuses_breaking() -> None:
    """A version with no numeric major part cannot raise it."""
    assert verdict(_enum_added(), "1.0.0", "two").exit_code == 1


@pytest.mark.parametrize(
    ("edits", "bump"),
    [
        ([put((*INTENT_PROPS, "amount", "description"), "Cents.")], "patch"),
        ([put((*INTENT_PROPS, "created_at"), {"type": "string"})], "minor"),
        ([drop(RETRIEVE)], "major"),
        ([], "none"),
    ],
)
def test_suggested_bump_follows_the_worst_change(edits: list[Edit], bump: str) -> None:
    """Docs-only changes call for a patch, additive ones a minor, breaking ones a major bump."""
    assert suggested_bump(compare(load_spec(), edited_spec(edits))) == bump
