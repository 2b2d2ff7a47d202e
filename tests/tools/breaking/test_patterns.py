"""tools/breaking/schemas/patterns.py: patterns added, removed or changed."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import CATALOGUE, Case, assert_verdict, ids


@pytest.mark.parametrize("item", CATALOGUE["schemas.patterns"], ids=ids(CATALOGUE["schemas.patterns"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)
