"""The server answers every operation as openapi.yaml says: schemathesis, every check, stateless and stateful."""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from . import server_schema, session
from .target import Target

RUN = session.current()
SCHEMA = server_schema.new_schema(seed=RUN.seed, auth=RUN.auth)


@SCHEMA.parametrize()
@settings(max_examples=RUN.budget.fuzz_examples)
def test_operation_conforms(case: Case[Any], target: Target) -> None:
    """Generated requests (valid and invalid, with and without credentials) get answers that pass every check."""
    server_schema.configure(SCHEMA, base_url=target.base_url)
    RUN.summary.count_case(case.operation.label)
    case.call_and_validate(base_url=target.base_url, timeout=30)


def test_link_driven_scenarios_conform(fresh_target: Target) -> None:
    """Scenarios that follow the spec's links (create → retrieve / confirm → retrieve) pass every check."""
    schema = server_schema.new_schema(seed=RUN.seed, auth=fresh_target.auth, base_url=fresh_target.base_url)
    summary = RUN.summary

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case[Any]) -> None:
            summary.count_case("stateful steps")
            super().before_call(case)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=RUN.budget.stateful_examples,
            stateful_step_count=RUN.budget.stateful_steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
