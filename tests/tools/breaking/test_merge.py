r"""tools/breaking/schemas/merge.py: allOf and 3.1 \$ref siblings merged into the schema that applies."""

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
from tools.breaking.schemas.merge import effective, merge


@pytest.mark.parametrize("item", CATALOGUE["schemas.merge"], ids=ids(CATALOGUE["schemas.merge"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """`amount: {$ref: Cents, maximum: 99999999}` where Cents says 100000 narrows what clients may send."""
    assert_verdict(item)


@pytest.mark.parametrize("item", RULE_PAIRS["schemas.merge"], ids=rule_ids(RULE_PAIRS["schemas.merge"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)


def test_a_ref_with_a_sibling_bound_is_narrowed_by_both() -> None:
    """3.1: `{$ref: Cents, maximum: 99999999}` where Cents says 100000 applies both: the stricter bound wins."""
    spec = {"openapi": "3.1.0", "components": {"schemas": {"Cents": {"type": "integer", "maximum": 100000}}}}
    schema, pointer = effective({"$ref": "#/components/schemas/Cents", "maximum": 99999999}, spec, "#/amount")
    assert schema == {"type": "integer", "maximum": 100000}
    assert pointer == "#/amount"


def test_in_3_0_a_ref_sibling_is_ignored() -> None:
    """3.0 says keywords beside $ref are ignored: the target alone, reported where it is."""
    spec = {"openapi": "3.0.3", "components": {"schemas": {"Cents": {"type": "integer", "maximum": 100000}}}}
    assert effective({"$ref": "#/components/schemas/Cents", "maximum": 5}, spec, "#/amount") == (
        {"type": "integer", "maximum": 100000},
        "#/components/schemas/Cents",
    )


def test_members_merge_into_what_all_of_them_admit() -> None:
    """Types intersect (number and integer give integer), required and properties unite, sizes tighten."""
    merged = merge(
        [
            {"type": ["number", "string"], "required": ["a"], "properties": {"a": {"maxLength": 5}}, "maxItems": 9},
            {"type": "integer", "required": ["b"], "properties": {"a": {"minLength": 1}}, "maxItems": 3},
        ]
    )
    assert merged["type"] == "integer"
    assert merged["required"] == ["a", "b"]
    assert merged["properties"]["a"] == {"allOf": [{"maxLength": 5}, {"minLength": 1}]}
    assert merged["maxItems"] == 3


def test_the_3_0_nullable_wrapper_idiom_adds_null() -> None:
    """`allOf: [$ref], nullable: true` (a common 3.0 idiom) makes the referenced type nullable."""
    spec = {"openapi": "3.0.3", "components": {"schemas": {"Id": {"type": "string"}}}}
    schema, _ = effective({"allOf": [{"$ref": "#/components/schemas/Id"}], "nullable": True}, spec, "#/id")
    assert schema["type"] == ["null", "string"]


def test_a_change_is_reported_inside_the_only_member_that_constrains() -> None:
    """A wrapper adding only a description keeps the pointer of the component it wraps."""
    spec = {"openapi": "3.1.0", "components": {"schemas": {"Id": {"type": "string"}}}}
    node = {"allOf": [{"$ref": "#/components/schemas/Id"}], "description": "the id"}
    assert effective(node, spec, "#/id")[1] == "#/components/schemas/Id"


def test_an_all_of_cycle_ends() -> None:
    """A schema whose allOf comes back to itself merges once, without recursing forever."""
    spec = {
        "openapi": "3.1.0",
        "components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}], "type": "object"}}},
    }
    schema, _ = effective({"$ref": "#/components/schemas/A"}, spec, "#/a")
    assert schema == {"type": "object"}
