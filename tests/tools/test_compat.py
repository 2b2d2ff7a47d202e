"""tools/compat.py: BASE's client against the new sandbox and the new client against BASE's, judged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.tools.breaking.catalogue import CREATE_PROPS, CREATE_REQ, ROOT, append, edited_spec, git, put
from tools import api_diff, compat
from tools.breaking.accepted import ACCEPTED_NAME
from tools.compat import Run, check_compat, judge, lines
from tools.compat_smoke import Step

# A required create field added: the change whose old-client run must fail at create.
REQUIRED_FIELD = [put((*CREATE_PROPS, "reference"), {"type": "string"}), append((*CREATE_REQ, "required"), "reference")]


def test_a_failed_step_contradicts_any_verdict_but_major() -> None:
    """A failed step fails a minor, patch or none verdict naming the step, and passes a major one."""
    runs = [
        Run("old client -> new sandbox", [Step("create", "200 initialized", "400 invalid-input")]),
        Run("new client -> old sandbox", [Step("create", "200 initialized", "200 initialized")]),
    ]
    assert lines(runs) == [
        "old client -> new sandbox: create: 400 invalid-input (expected 200 initialized)",
        "new client -> old sandbox: create: 200 initialized",
    ]
    for bump in ("minor", "patch", "none"):
        code, line = judge(runs, bump)
        assert code == 1
        assert line.startswith(
            f"check-compat: FAIL: the changes were judged {bump}, but old client -> new sandbox: create"
        )
    assert judge(runs, "major") == (0, "check-compat: PASS: 1 of 2 steps failed, as the major bump announces")


def test_no_step_is_a_failure() -> None:
    """A run with no step at all proves nothing: it fails."""
    assert judge([Run("old client -> new sandbox", [])], "none") == (1, "check-compat: FAIL: no step ran")


def test_check_compat_runs_bases_client_from_a_worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BASE's client and sandbox come from a git worktree, the new ones from the tree; each fails on its own side."""
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


def test_the_verdict_sets_accepted_changes_aside_as_the_release_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A breaking change an accepted-changes entry sets aside is released as minor: the run checks that verdict."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copyfile(ROOT / "openapi.yaml", repo / "openapi.yaml")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    # The Python API diff is tested in test_api_diff.py: here it finds nothing.
    monkeypatch.setattr(api_diff, "load_from", lambda _folder: None)
    monkeypatch.setattr(api_diff, "diff", lambda _old, _new: [])
    narrowed = edited_spec([put((*CREATE_PROPS, "description", "maxLength"), 10)])
    (repo / "openapi.yaml").write_text(yaml.safe_dump(narrowed, sort_keys=False), encoding="utf-8")
    assert compat.verdict_bump(repo, "HEAD", ROOT) == "major"
    (repo / ACCEPTED_NAME).write_text(
        "accepted:\n  - rule: request-size-narrowed\n"
        "    pointer: '#/components/schemas/CreatePaymentIntentRequest/properties/description/maxLength'\n"
        "    why: reviewed\n",
        encoding="utf-8",
    )
    assert compat.verdict_bump(repo, "HEAD", ROOT) == "minor"


def test_a_spec_it_cannot_read_is_refused_in_one_line(tmp_path: Path) -> None:
    """A working tree's openapi.yaml that is not YAML stops the run with a one-line reason (exit 2 in main)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copyfile(ROOT / "openapi.yaml", repo / "openapi.yaml")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    (repo / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: [\n", encoding="utf-8")
    with pytest.raises(compat.CompatError) as refused:
        compat.verdict_bump(repo, "HEAD", ROOT)
    assert "\n" not in str(refused.value)
    assert "not YAML or JSON" in str(refused.value)
