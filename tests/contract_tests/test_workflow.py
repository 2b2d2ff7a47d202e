"""The sample GitHub workflow runs the same make targets a person runs, the real server only with secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "contract.yml"


def _workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _commands(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_every_push_runs_make_test() -> None:
    """On push and pull_request, one job runs `make test` (drift gate, lint, tests, suite on the sandbox)."""
    workflow = _workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert "make test" in _commands(workflow["jobs"]["test"])


def test_real_server_runs_only_with_the_three_secrets() -> None:
    """`make contract` gets DOTS_BASE_URL and credentials from secrets and runs only when all three are set."""
    job = _workflow()["jobs"]["contract"]
    for name in ("DOTS_BASE_URL", "DOTS_CLIENT_ID", "DOTS_API_KEY"):
        assert job["env"][name] == f"${{{{ secrets.{name} }}}}"
    gate = job["steps"][0]
    assert gate["id"] == "configured"
    assert all(f'-n "${name}"' in gate["run"] for name in ("DOTS_BASE_URL", "DOTS_CLIENT_ID", "DOTS_API_KEY"))
    later = job["steps"][1:]
    assert all("steps.configured.outputs.run == 'true'" in step["if"] for step in later)
    assert any(command.startswith("make contract") for command in _commands(job))


def test_pull_requests_run_the_spec_change_gate() -> None:
    """On pull requests, check-breaking compares openapi.yaml with the target branch (full history fetched)."""
    job = _workflow()["jobs"]["spec-change"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    assert _commands(job) == ['make check-breaking BASE="origin/$BASE_REF"']
    assert job["env"]["BASE_REF"] == "${{ github.base_ref }}"


def test_make_test_gets_postgresql_from_a_service_container() -> None:
    """The test job runs a `postgres` service container and hands its URL to the tests as TEST_POSTGRES_URL."""
    from conftest import POSTGRES_URL_VAR

    job = _workflow()["jobs"]["test"]
    service = job["services"]["postgres"]
    assert service["image"].startswith("postgres:")
    assert "5432:5432" in service["ports"]
    assert "pg_isready" in service["options"]
    password = service["env"]["POSTGRES_PASSWORD"]
    assert job["env"][POSTGRES_URL_VAR] == f"postgresql://postgres:{password}@localhost:5432/postgres"
