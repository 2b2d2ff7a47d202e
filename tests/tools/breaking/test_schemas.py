"""tools/breaking/schemas/__init__.py: the schema walk (refs, recursion, unrecognised keywords)."""

from __future__ import annotations

import copy
from typing import Any

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
from tools.breaking.schemas import as_object
from tools.breaking.verdict import findings
from tools.breaking.walk import MAX_PLACES


@pytest.mark.parametrize("item", CATALOGUE["schemas"], ids=ids(CATALOGUE["schemas"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_recursive_schemas_terminate() -> None:
    """A self-referencing component is compared once per pair, not forever."""
    node = {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}
    old = {**doc({"$ref": "#/components/schemas/Node"}, request=False), "components": {"schemas": {"Node": node}}}
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Node"]["properties"]["name"] = {"type": "string"}
    changes = compare(old, new)
    assert [(c.rule, c.where) for c in changes] == [("response-property-added", "POST /t response 200 body.name")]


def test_boolean_schemas_compare_as_objects() -> None:
    """`true` is {} and `false` is {"not": {}}: a request schema turned `false` admits nothing, so it breaks."""
    assert as_object(True) == {}
    assert as_object(False) == {"not": {}}
    old, new = doc({"type": "string"}, request=True), doc({}, request=True)
    new["paths"]["/t"]["post"]["requestBody"]["content"]["application/json"]["schema"] = False
    assert ("request-not-added", Severity.BREAKING) in {(c.rule, c.severity) for c in compare(old, new)}


@pytest.mark.parametrize("item", RULE_PAIRS["schemas"], ids=rule_ids(RULE_PAIRS["schemas"]))
def test_rule_pair_has_expected_classes(item: RulePair) -> None:
    """Each small pair written for one of this module's rules yields exactly its (rule, class) set."""
    assert_rule_pair(item)


def test_a_change_deep_in_a_reused_schema_graph_is_found_without_walking_every_path() -> None:
    """Six levels of six fields each referencing the next level (46656 paths): one finding, its places capped."""
    levels = 6
    schemas: dict[str, Any] = {
        f"L{i}": {
            "type": "object",
            "properties": {f"f{j}": {"$ref": f"#/components/schemas/L{i + 1}"} for j in range(6)},
        }
        for i in range(levels)
    }
    schemas[f"L{levels}"] = {"type": "object", "properties": {"leaf": {"type": "string"}}}
    old = {**doc({"$ref": "#/components/schemas/L0"}, request=False), "components": {"schemas": schemas}}
    new = copy.deepcopy(old)
    new["components"]["schemas"][f"L{levels}"]["properties"]["leaf"]["type"] = ["string", "null"]
    found = findings(compare(old, new))
    assert [(f.rule, f.pointer) for f in found] == [
        ("response-type-widened", f"#/components/schemas/L{levels}/properties/leaf/type")
    ]
    assert len(found[0].wheres) == MAX_PLACES
    assert found[0].wheres[0] == "POST /t response 200 body.f0.f0.f0.f0.f0.f0.leaf"
