"""tools/breaking/compare.py: the whole comparison, and the catalogue as a whole."""

from __future__ import annotations

import copy
import importlib
import re
from typing import Any

import pytest
import yaml

from dots_spec.document import SPEC_PATH, load_spec
from tests.tools.breaking.catalogue import (
    CATALOGUE,
    ROOT,
    RULE_PAIRS,
    Case,
    assert_verdict,
    doc,
    edited_spec,
    ids,
    pair,
)
from tools.breaking.compare import compare
from tools.breaking.model import Severity
from tools.breaking.verdict import Verdict, verdict


@pytest.mark.parametrize("item", CATALOGUE["compare"], ids=ids(CATALOGUE["compare"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_catalogue_is_large_uniquely_named_and_filed_by_module() -> None:
    """The catalogue holds as many pairs as docs/spec-changes.md says, distinctly named, each filed by module."""
    cases = [c for group in CATALOGUE.values() for c in group]
    names = [c.name for c in cases]
    documented = re.search(
        r"catalogue of (\d+) before/after pairs", (ROOT / "docs/spec-changes.md").read_text(encoding="utf-8")
    )
    assert documented is not None
    assert len(names) == int(documented.group(1))
    pairs = [p.name for group in RULE_PAIRS.values() for p in group]
    small = re.search(
        r"and (\d+) small pairs written for one rule each", (ROOT / "docs/spec-changes.md").read_text(encoding="utf-8")
    )
    assert small is not None
    assert len(pairs) == int(small.group(1))
    assert len(set(pairs)) == len(pairs)
    for module in RULE_PAIRS:
        importlib.import_module(f"tools.breaking.{module}")
    assert len(set(names)) == len(names)
    assert {c.exit_code for c in cases} == {0, 1}
    for module in CATALOGUE:
        importlib.import_module(f"tools.breaking.{module}")


def test_unchanged_spec_has_no_changes() -> None:
    """A spec compared with a copy of itself passes with no changes."""
    changes = compare(load_spec(), edited_spec([]))
    assert changes == []
    assert verdict(changes, "1.0.0", "1.0.0") == Verdict(0, "PASS: no changes (info.version 1.0.0 -> 1.0.0)")


def test_cached_spec_is_never_mutated() -> None:
    """Building the catalogue leaves load_spec()'s cached object equal to the file."""
    for group in CATALOGUE.values():
        for item in group:
            pair(item)
    assert load_spec() == yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_empty_documents_compare_without_error() -> None:
    """Everything removed is breaking; everything added from nothing is not."""
    empty = {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, "paths": {}}
    assert verdict(compare(load_spec(), empty), "1.0.0", "1.0.0").exit_code == 1
    assert {c.severity for c in compare(empty, load_spec())} == {Severity.NON_BREAKING}


def test_info_version_alone_is_not_a_change() -> None:
    """Bumping info.version (the spec's and the package's one version) is the verdict's input, not a change."""
    assert compare(load_spec(), edited_spec([lambda s: s["info"].__setitem__("version", "2.0.0")])) == []


MISSHAPEN: list[tuple[str, tuple[str, ...], Any]] = [
    ("an empty path item", ("paths", "/t"), None),
    ("an empty operation", ("paths", "/t", "post"), None),
    ("an empty media type", ("paths", "/t", "post", "responses", "200", "content", "application/json"), None),
    ("responses as a list", ("paths", "/t", "post", "responses"), ["200"]),
    ("a parameter as a string", ("paths", "/t", "post", "parameters"), ["q"]),
    ("security as a mapping", ("paths", "/t", "post", "security"), {"a": []}),
    (
        "a type that is a number",
        ("paths", "/t", "post", "responses", "200", "content", "application/json", "schema", "type"),
        5,
    ),
    (
        "a bound that is a string",
        ("paths", "/t", "post", "responses", "200", "content", "application/json", "schema", "maxLength"),
        "5",
    ),
]


@pytest.mark.parametrize(("shape", "where", "value"), MISSHAPEN, ids=[m[0] for m in MISSHAPEN])
def test_a_misshapen_node_is_read_as_absent_not_a_crash(shape: str, where: tuple[str, ...], value: Any) -> None:
    """What YAML gives for an empty or mistyped node is compared as absent, in both directions."""
    good = doc({"type": "string"}, request=False)
    good["paths"]["/t"]["post"]["parameters"] = [{"in": "query", "name": "q", "schema": {"type": "string"}}]
    bad = copy.deepcopy(good)
    node: Any = bad
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    compare(good, bad)  # neither direction raises
    compare(bad, good)
    assert compare(bad, bad) == []
