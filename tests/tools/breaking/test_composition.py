"""tools/breaking/schemas/composition.py: allOf/anyOf/oneOf member by member, or left to a person."""

from __future__ import annotations

from tests.tools.breaking.catalogue import doc
from tools.breaking.compare import compare
from tools.breaking.model import Severity


def test_members_are_compared_pairwise_when_lengths_match() -> None:
    """A member of anyOf that narrows is found at its index."""
    old = doc({"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 10}]}, request=True)
    new = doc({"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 5}]}, request=True)
    (change,) = compare(old, new)
    assert change.rule == "request-range-narrowed"
    assert change.pointer.endswith("/schema/anyOf/1/maximum")


def test_a_member_added_is_possibly_breaking() -> None:
    """oneOf growing from 1 to 2 members is reported for a person to judge."""
    old = doc({"oneOf": [{"type": "string"}]}, request=False)
    new = doc({"oneOf": [{"type": "string"}, {"type": "integer"}]}, request=False)
    assert [(c.rule, c.severity) for c in compare(old, new)] == [("composition-changed", Severity.POSSIBLY_BREAKING)]
