"""tools/breaking/bodies.py: request bodies and media types."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import CATALOGUE, Case, assert_verdict, ids


@pytest.mark.parametrize("item", CATALOGUE["bodies"], ids=ids(CATALOGUE["bodies"]))
def test_catalogue_case_has_expected_verdict(item: Case) -> None:
    """Each named edit yields exactly the expected (rule, class) set and exit status."""
    assert_verdict(item)
