"""tools/breaking/schemas/arrays.py: array items compared as schemas of their own."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import RULE_PAIRS, RulePair, assert_rule_pair, doc, rule_ids
from tools.breaking.compare import compare


def test_items_are_compared_under_a_bracket_label() -> None:
    """A narrowed items type is found, labelled `body[]` and located under `items`."""
    old = doc({"type": "array", "items": {"type": ["string", "integer"]}}, request=True)
    new = doc({"type": "array", "items": {"type": "string"}}, request=True)
    (change,) = compare(old, new)
    assert (change.rule, change.where) == ("request-type-narrowed", "POST /t request body[]")
    assert change.pointer.endswith("/schema/items/type")


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.arrays"], ids=rule_ids(RULE_PAIRS["schemas.arrays"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)
