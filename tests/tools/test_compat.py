"""tools/compat.py, tools/compat_smoke.py: BASE's client against the new sandbox, the new client against BASE's."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml

from dots_sandbox.sandbox import Sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import open_store
from tests.tools.breaking.catalogue import CREATE_PROPS, CREATE_REQ, ROOT, append, edited_spec, git, put
from tools import compat
from tools.compat import Run, check_compat, judge, lines
from tools.compat_smoke import DEFAULT_CREDENTIALS, Smoke, Step

# A required create field added: the change whose old-client run must fail at create.
REQUIRED_FIELD = [put((*CREATE_PROPS, "reference"), {"type": "string"}), append((*CREATE_REQ, "required"), "reference")]


def smoke_against(spec: dict[str, object] | None) -> list[Step]:
    """The smoke with this checkout's client against an in-thread sandbox of `spec` (None: the real one)."""
    settings = Settings(db=":memory:")
    sandbox = Sandbox(settings, open_store(settings.db, settings.synchronous), time.time, spec)
    try:
        with sandbox.serve_in_thread() as served:
            return Smoke(served.base_url, *DEFAULT_CREDENTIALS).run()
    finally:
        sandbox.close()


def test_smoke_passes_every_step_on_the_same_spec() -> None:
    """Create, confirm to each of the four outcomes, retrieve, and the four documented errors all answer as expected."""
    steps = smoke_against(None)
    assert [(step.name, step.got) for step in steps] == [
        ("create", "200 initialized"),
        ("confirm to succeeded", "200 succeeded"),
        ("confirm to failed", "200 failed"),
        ("confirm to requires_action", "200 requires_action"),
        ("confirm to processing", "200 processing"),
        ("retrieve", "200 succeeded"),
        ("confirm again", "409 payment-intent-already-confirmed"),
        ("retrieve unknown", "404 not-found"),
        ("create invalid", "400 invalid-input"),
        ("wrong credentials", "401 unauthorized"),
    ]
    assert all(step.ok for step in steps)
    assert judge([Run("old client -> new sandbox", steps)], "minor")[0] == 0


def test_required_create_field_fails_the_old_client_at_create() -> None:
    """Against a sandbox whose create needs a new field, the old client's create is `400 invalid-input`: a minor
    verdict is contradicted (exit 1, naming the step), a major one is what the run shows."""
    steps = smoke_against(edited_spec(REQUIRED_FIELD))
    runs = [Run("old client -> new sandbox", steps)]
    assert lines(runs)[0] == "old client -> new sandbox: create: 400 invalid-input (expected 200 initialized)"
    code, line = judge(runs, "minor")
    assert code == 1
    assert "judged minor, but old client -> new sandbox: create: 400 invalid-input" in line
    assert judge(runs, "major")[0] == 0


def test_no_step_is_a_failure() -> None:
    """A run with no step at all proves nothing: it fails."""
    assert judge([Run("old client -> new sandbox", [])], "none") == (1, "check-compat: FAIL: no step ran")


def test_check_compat_runs_bases_client_from_a_worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end in a small repository: BASE's committed client and sandbox come from a git worktree (removed
    after), the new ones from the working tree; a required create field fails the old client at create, and the
    new client (its create module renamed) fails on its own side only."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("dots_spec", "dots_sandbox", "generated"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", ".pdm-build"))
    shutil.copyfile(ROOT / "openapi.yaml", repo / "openapi.yaml")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    (repo / "openapi.yaml").write_text(yaml.safe_dump(edited_spec(REQUIRED_FIELD), sort_keys=False), encoding="utf-8")
    # The working tree's client loses the create module (an operationId renamed): only BASE's still has it.
    operations = repo / "generated" / "dots_client" / "api" / "payment_intents"
    (operations / "create_payment_intent.py").rename(operations / "make_payment_intent.py")
    # As if the gate had missed it: the run must contradict a minor verdict.
    monkeypatch.setattr(compat, "verdict_bump", lambda *_: "minor")
    shown, code, line = check_compat(repo, None)
    assert "old client -> new sandbox: create: 400 invalid-input (expected 200 initialized)" in shown
    assert shown[10].startswith("new client -> old sandbox: create: client error: ImportError")
    assert len(shown) == 20
    assert (code, line.split(" (expected")[0]) == (
        1,
        "check-compat: FAIL: the changes were judged minor, but old client -> new sandbox: create: 400 invalid-input",
    )
    assert "dots-compat-" not in git(repo, "worktree", "list")
