"""tools/breaking/model.py: the three classes and their order."""

from __future__ import annotations

from tools.breaking.model import Severity


def test_classes_sort_most_serious_first_and_print_as_words() -> None:
    """Breaking sorts before possibly breaking before non-breaking; labels are what the report prints."""
    assert sorted(Severity, reverse=True)[-1] is Severity.BREAKING
    assert [s.label for s in Severity] == ["breaking", "possibly breaking", "non-breaking"]
