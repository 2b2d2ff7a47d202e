"""tools/breaking/schemas/formats.py: formats added, removed or changed."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import CATALOGUE, Case, assert_verdict, ids


@pytest.mark.parametrize("item", CATALOGUE["schemas.formats"], ids=ids(CATALOGUE["schemas.formats"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)
