"""tools/breaking/schemas/applicators.py: the JSON Schema 2020-12 applicator and content keywords, by direction."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import RULE_PAIRS, RulePair, assert_rule_pair, rule_ids


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.applicators"], ids=rule_ids(RULE_PAIRS["schemas.applicators"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
