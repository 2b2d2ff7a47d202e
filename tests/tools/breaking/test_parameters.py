"""tools/breaking/parameters.py: parameters added, removed, renamed, made required."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import (
    CATALOGUE,
    RULE_PAIRS,
    Case,
    RulePair,
    assert_rule_pair,
    assert_verdict,
    ids,
    rule_ids,
)


@pytest.mark.parametrize("item", CATALOGUE["parameters"], ids=ids(CATALOGUE["parameters"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


@pytest.mark.parametrize("item", RULE_PAIRS["parameters"], ids=rule_ids(RULE_PAIRS["parameters"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
