"""tools/breaking/schemas/composition.py: anyOf/oneOf members matched, then classed by direction."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import (
    CATALOGUE,
    RULE_PAIRS,
    Case,
    RulePair,
    assert_rule_pair,
    assert_verdict,
    doc,
    ids,
    rule_ids,
)
from tools.breaking.compare import compare
from tools.breaking.model import Severity


@pytest.mark.parametrize("item", CATALOGUE["schemas.composition"], ids=ids(CATALOGUE["schemas.composition"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_members_are_compared_pairwise_when_lengths_match() -> None:
    """A member of anyOf that narrows is found at its index."""
    old = doc({"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 10}]}, request=True)
    new = doc({"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 5}]}, request=True)
    (change,) = compare(old, new)
    assert change.rule == "request-range-narrowed"
    assert change.pointer.endswith("/schema/anyOf/1/maximum")


@pytest.mark.parametrize(
    ("in_request", "grows", "rule", "severity"),
    [
        (True, True, "request-one-of-added", Severity.NON_BREAKING),
        (True, False, "request-one-of-removed", Severity.BREAKING),
        (False, True, "response-one-of-added", Severity.BREAKING),
        (False, False, "response-one-of-removed", Severity.NON_BREAKING),
    ],
)
def test_a_member_added_or_removed_is_classed_by_direction(
    in_request: bool, grows: bool, rule: str, severity: Severity
) -> None:
    """A member added widens (breaking in a response), one removed narrows (breaking in a request)."""
    small, big = {"oneOf": [{"type": "string"}]}, {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    old, new = doc(small, request=in_request), doc(big, request=in_request)
    if not grows:
        old, new = new, old
    assert [(c.rule, c.severity) for c in compare(old, new)] == [(rule, severity)]


def test_a_body_wrapped_in_one_of_is_a_member_added_not_fields_removed() -> None:
    """`X` -> `oneOf: [X, Y]` in a response: one member added, nothing about X's fields."""
    body = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    other = {"type": "object", "properties": {"code": {"type": "integer"}}}
    changes = compare(doc(body, request=False), doc({"oneOf": [body, other]}, request=False))
    assert [(c.rule, c.pointer.rsplit("/", 2)[-2:]) for c in changes] == [("response-one-of-added", ["oneOf", "1"])]


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.composition"], ids=rule_ids(RULE_PAIRS["schemas.composition"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
