"""tools/breaking/parameters.py: parameters added, removed, renamed, made required."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import CATALOGUE, Case, assert_verdict, ids


@pytest.mark.parametrize("item", CATALOGUE["parameters"], ids=ids(CATALOGUE["parameters"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)
