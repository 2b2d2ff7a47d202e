"""The sample GitHub workflow runs the same make targets a person runs, the real server only with secrets; it and
docs/contract-suite.md's example for a user's repository are valid against GitHub's workflow schema."""

from __future__ import annotations

import functools
import importlib.resources
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from ruamel.yaml import YAML

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "contract.yml"
DOC = WORKFLOW.parents[2] / "docs" / "contract-suite.md"
EXAMPLE = re.compile(r"<!-- workflow-example:.*?-->\n```yaml\n(.*?)```", re.DOTALL)


def _workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _commands(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_every_push_runs_make_test() -> None:
    """On push and pull_request, one job runs `make test` (drift gate, lint, tests, suite on the sandbox), adding
    no Python through nox (the client jobs run each), keeping its reports and mypy's cache."""
    workflow = _workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = workflow["jobs"]["test"]
    assert "make test" in _commands(job)
    assert job["env"]["CLIENT_TEST_PYTHONS"] == ""
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "reports/"
    cache = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "~/.cache/dots-confirm-contract"


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
    """Pull requests run check-breaking (annotations, Markdown summary), check-generated and check-compat."""
    job = _workflow()["jobs"]["spec-change"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    commands = _commands(job)
    assert commands[0] == 'make check-breaking BASE="origin/$BASE_REF" BREAKING_FORMAT=github BREAKING_API=1'
    assert "BREAKING_FORMAT=markdown" in commands[1]
    assert commands[1].endswith('>> "$GITHUB_STEP_SUMMARY" || true')
    assert commands[2] == 'make check-generated BASE="origin/$BASE_REF"'
    compat = next(step for step in job["steps"] if step.get("run", "").startswith("make check-compat"))
    assert compat["run"] == 'make check-compat BASE="origin/$BASE_REF"'
    assert compat["if"] == "steps.spec.outputs.changed == 'true'"
    assert job["env"]["BASE_REF"] == "${{ github.base_ref }}"


def test_make_test_gets_postgresql_from_a_service_container() -> None:
    """The test job runs a `postgres` service container and hands its URL to the tests as TEST_POSTGRES_URL."""
    from tests.conftest import POSTGRES_URL_VAR

    job = _workflow()["jobs"]["test"]
    service = job["services"]["postgres"]
    assert service["image"].startswith("postgres:")
    assert "5432:5432" in service["ports"]
    assert "pg_isready" in service["options"]
    password = service["env"]["POSTGRES_PASSWORD"]
    assert job["env"][POSTGRES_URL_VAR] == f"postgresql://postgres:{password}@localhost:5432/postgres"


def test_nightly_runs_the_thorough_profile_as_a_sharded_matrix() -> None:
    """On a schedule, shards 1..n of the thorough profile run on the sandbox, one seed, each keeping its JUnit."""
    workflow = _workflow()
    assert workflow[True]["schedule"][0]["cron"]
    job = workflow["jobs"]["nightly"]
    assert job["if"] == "github.event_name == 'schedule'"
    shards = job["strategy"]["matrix"]["shard"]
    assert job["strategy"]["fail-fast"] is False
    env = job["env"]
    assert env["CONTRACT_PROFILE"] == "thorough"
    assert env["CONTRACT_WORKERS"] == "auto"
    assert env["CONTRACT_SHARD"] == f"${{{{ matrix.shard }}}}/{len(shards)}"
    assert shards == list(range(1, len(shards) + 1))
    assert env["CONTRACT_SEED"] == "${{ github.run_id }}"  # one seed for every shard of the run
    assert not any(name.startswith("DOTS_") for name in env)  # the embedded sandbox, never Dots
    assert _commands(job) == ["make contract"]
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "reports/contract-junit.xml"
    assert "${{ matrix.shard }}" in upload["with"]["name"]
    cache = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".hypothesis"


def test_real_server_job_stays_one_run_at_a_time() -> None:
    """The job against Dots has no matrix, no shards and no workers, and waits for the previous run."""
    job = _workflow()["jobs"]["contract"]
    assert "strategy" not in job
    assert job["concurrency"]["cancel-in-progress"] is False
    assert not {"CONTRACT_SHARD", "CONTRACT_WORKERS"} & set(job["env"])
    assert not any("CONTRACT_SHARD" in command or "CONTRACT_WORKERS" in command for command in _commands(job))


def test_client_runs_on_every_python_the_noxfile_names() -> None:
    """A job per Python runs `make test-matrix` for it; the matrix is the noxfile's list and the Makefile's default."""
    import noxfile

    job = _workflow()["jobs"]["client"]
    pythons = job["strategy"]["matrix"]["python"]
    assert pythons == noxfile.PYTHONS
    assert job["if"] == "github.event_name != 'schedule'"
    assert _commands(job) == ['make test-matrix CLIENT_PYTHONS="${{ matrix.python }}"']
    makefile = (WORKFLOW.parents[2] / "Makefile").read_text(encoding="utf-8")
    assert f"CLIENT_PYTHONS ?= {' '.join(pythons)}\n" in makefile
    for python in pythons:
        assert (WORKFLOW.parents[2] / "requirements" / f"client-py{python}.lock").is_file()


def test_nightly_runs_what_make_test_leaves_out() -> None:
    """On a schedule only, one job runs `make test-nightly` on the same PostgreSQL service as `make test`'s job."""
    jobs = _workflow()["jobs"]
    job = jobs["nightly-tests"]
    assert job["if"] == "github.event_name == 'schedule'"
    assert _commands(job) == ["make test-nightly"]
    assert job["services"] == jobs["test"]["services"]
    assert job["env"]["TEST_POSTGRES_URL"] == jobs["test"]["env"]["TEST_POSTGRES_URL"]
    assert not any(name.startswith("DOTS_") for name in job["env"])


@functools.cache
def _workflow_schema() -> jsonschema_rs.Validator:
    """GitHub's workflow schema (SchemaStore's github-workflow.json), as check-jsonschema vendors it: no network."""
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    return jsonschema_rs.validator_for(json.loads(vendored.read_text(encoding="utf-8")))


def _problems(text: str) -> list[str]:
    """How a workflow's YAML breaks GitHub's schema (read as YAML 1.2, as GitHub does: `on` is a key, not true)."""
    document = YAML(typ="safe", pure=True).load(io.StringIO(text))
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in _workflow_schema().iter_errors(document)
    ]


def test_every_workflow_of_the_repository_is_valid_against_githubs_schema() -> None:
    """Each file in .github/workflows/ passes GitHub's workflow JSON schema."""
    workflows = sorted(WORKFLOW.parent.glob("*.y*ml"))
    assert WORKFLOW in workflows
    for path in workflows:
        assert _problems(path.read_text(encoding="utf-8")) == [], path.name


def test_the_docs_ci_example_is_a_valid_workflow_that_runs_the_installed_commands() -> None:
    """docs/contract-suite.md's workflow for a user's repository passes the schema and runs dots-contract."""
    (example,) = EXAMPLE.findall(DOC.read_text(encoding="utf-8"))
    assert _problems(example) == []
    runs = " ".join(step.get("run", "") for job in yaml.safe_load(example)["jobs"].values() for step in job["steps"])
    assert "dots-contract suite --base-url" in runs
    assert "dots-contract proxy --upstream" in runs
    assert "dist/*.whl" in runs


def test_the_schema_check_has_teeth() -> None:
    """A job without `runs-on` and a step that is a string are each reported."""
    assert _problems("on: push\njobs:\n  a:\n    steps:\n      - run: true\n")
    assert _problems("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [make test]\n")
    assert _problems("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n") == []
