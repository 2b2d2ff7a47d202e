"""tools/breaking/schemas/bounds.py: ranges and sizes, by what they admit."""

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


@pytest.mark.parametrize("item", CATALOGUE["schemas.bounds"], ids=ids(CATALOGUE["schemas.bounds"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_openapi_30_bounds_and_nullable_are_understood() -> None:
    """3.0's boolean exclusiveMinimum and nullable compare like their 3.1 spellings."""
    old = {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}
    new = {"type": ["integer", "null"], "minimum": 1}
    assert compare(doc(old, request=True), doc(new, request=True)) == []
    rules = {c.rule for c in compare(doc(old, request=True), doc({"type": "integer", "minimum": 1}, request=True))}
    assert rules == {"request-type-narrowed"}


def test_multiple_of_widens_only_to_a_divisor() -> None:
    """multipleOf 10 -> 5 accepts every old value; 5 -> 10 does not."""
    ten, five = {"type": "integer", "multipleOf": 10}, {"type": "integer", "multipleOf": 5}
    assert {c.rule for c in compare(doc(ten, request=True), doc(five, request=True))} == {"request-range-widened"}
    assert {c.rule for c in compare(doc(five, request=True), doc(ten, request=True))} == {"request-range-narrowed"}


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.bounds"], ids=rule_ids(RULE_PAIRS["schemas.bounds"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
