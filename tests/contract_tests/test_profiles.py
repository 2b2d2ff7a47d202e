"""Budgets: CONTRACT_PROFILE picks one, each is a Hypothesis profile, ci meets its targets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import Phase, settings

from contract_tests import profiles


@pytest.fixture
def restore_profile() -> Iterator[None]:
    """Put back whatever Hypothesis profile was loaded before the test."""
    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


def test_selected_defaults_to_ci() -> None:
    """Without CONTRACT_PROFILE (or with it empty) the budget is ci."""
    assert profiles.selected({}).name == "ci"
    assert profiles.selected({"CONTRACT_PROFILE": " "}).name == "ci"


@pytest.mark.parametrize("name", ["quick", "ci", "thorough"])
def test_selected_reads_contract_profile(name: str) -> None:
    """CONTRACT_PROFILE names the budget."""
    assert profiles.selected({"CONTRACT_PROFILE": name}) is profiles.BUDGETS[name]


def test_unknown_profile_is_rejected() -> None:
    """An unknown name is a ValueError that lists the valid ones."""
    with pytest.raises(ValueError, match="quick, ci, thorough"):
        profiles.selected({"CONTRACT_PROFILE": "fast"})


def test_budgets_grow_from_quick_to_thorough() -> None:
    """ci fuzzes at least 1,000 cases per operation; each budget spends more than the one before."""
    quick, ci, thorough = (profiles.BUDGETS[name] for name in ("quick", "ci", "thorough"))
    assert ci.fuzz_examples >= 1000
    for field in ("fuzz_examples", "property_examples", "client_examples", "stateful_examples", "stateful_steps"):
        assert getattr(quick, field) < getattr(ci, field) < getattr(thorough, field), field


@pytest.mark.usefixtures("restore_profile")
def test_load_makes_the_budget_the_hypothesis_profile() -> None:
    """Loading a budget sets max_examples, no deadline, and shrinking as the budget says."""
    for budget in profiles.BUDGETS.values():
        profiles.load(budget)
        assert settings.get_current_profile_name() == f"contract-{budget.name}"
        current = settings.default
        assert current is not None
        assert current.max_examples == budget.property_examples
        assert current.stateful_step_count == budget.stateful_steps
        assert current.deadline is None
        assert (Phase.shrink in current.phases) is budget.shrink
    assert not profiles.BUDGETS["quick"].shrink
