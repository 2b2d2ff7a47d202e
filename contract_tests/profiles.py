"""Budgets of the contract suite: `CONTRACT_PROFILE=quick|ci|thorough` (default `ci`).

Each budget is also a Hypothesis settings profile (`contract-<name>`), loaded for the whole run, so
every property in the suite shares its settings; the few tests that need another example count
(schemathesis fuzzing, the stateful runs, the cheap MockTransport properties) take it from the
same budget.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from hypothesis import HealthCheck, Phase, settings

ENV_VAR = "CONTRACT_PROFILE"
DEFAULT_PROFILE = "ci"


@dataclasses.dataclass(frozen=True, slots=True)
class Budget:
    """How much generated input one run of the suite spends."""

    name: str
    fuzz_examples: int
    """schemathesis fuzzing cases per operation (its examples and coverage phases add more)."""
    property_examples: int
    """Examples per behavioural property; each one costs several live requests."""
    client_examples: int
    """Examples per client-contract property; MockTransport, no network."""
    stateful_examples: int
    """Scenarios of the link-driven state machine."""
    stateful_steps: int
    """Most steps in one scenario."""
    shrink: bool = True
    """Whether a failure is shrunk to a minimal example (slower to report, easier to read)."""

    @property
    def hypothesis_profile(self) -> str:
        """The name this budget is registered under with Hypothesis."""
        return f"contract-{self.name}"


BUDGETS: dict[str, Budget] = {
    # A smoke run, and what the teeth tests aim at each broken server: well under a minute, failing
    # or not (so a failure is reported as found, not shrunk: shrinking re-runs it against the server).
    "quick": Budget(
        "quick",
        fuzz_examples=60,
        property_examples=8,
        client_examples=15,
        stateful_examples=8,
        stateful_steps=6,
        shrink=False,
    ),
    # `make test` and `make contract`: at least 1,000 cases per operation, about a minute.
    "ci": Budget(
        "ci", fuzz_examples=1000, property_examples=50, client_examples=40, stateful_examples=40, stateful_steps=10
    ),
    # Before a release, or against a new server: minutes.
    "thorough": Budget(
        "thorough",
        fuzz_examples=5000,
        property_examples=400,
        client_examples=1000,
        stateful_examples=300,
        stateful_steps=20,
    ),
}


def selected(environ: Mapping[str, str] = os.environ) -> Budget:
    """The budget `CONTRACT_PROFILE` names (`ci` when unset); ValueError for an unknown name."""
    name = environ.get(ENV_VAR, "").strip() or DEFAULT_PROFILE
    try:
        return BUDGETS[name]
    except KeyError:
        raise ValueError(f"{ENV_VAR}={name!r} is not one of {', '.join(BUDGETS)}") from None


def register() -> None:
    """Register every budget as a Hypothesis profile (idempotent)."""
    for budget in BUDGETS.values():
        settings.register_profile(
            budget.hypothesis_profile,
            max_examples=budget.property_examples,
            stateful_step_count=budget.stateful_steps,
            # Every example talks to a server: latency is the server's, not the property's.
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # A failure prints the blob that replays it exactly (`@reproduce_failure`).
            print_blob=True,
            phases=[phase for phase in Phase if budget.shrink or phase is not Phase.shrink],
        )


def load(budget: Budget) -> None:
    """Make `budget` the settings of every Hypothesis test that follows."""
    register()
    settings.load_profile(budget.hypothesis_profile)
