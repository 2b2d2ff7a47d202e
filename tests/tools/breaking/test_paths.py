"""tools/breaking/paths.py: operations added, removed, renamed or deprecated."""

from __future__ import annotations

import pytest

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import CATALOGUE, ONE_PATH, RETRIEVE, Case, assert_verdict, drop, edited_spec, ids
from tools.breaking.compare import compare


@pytest.mark.parametrize("item", CATALOGUE["paths"], ids=ids(CATALOGUE["paths"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)


def test_removed_node_points_into_base() -> None:
    """A removal is located in the base spec and flagged as such."""
    (change,) = compare(load_spec(), edited_spec([drop(RETRIEVE)]))
    assert change.in_base
    assert change.pointer == "#/paths/~1v2~1payment-intents~1{payment_intent_id}/get"
    assert change.where == f"GET {ONE_PATH}"
