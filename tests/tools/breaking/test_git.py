"""tools/breaking/git.py: reading the spec at BASE, and the default BASE."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.breaking.catalogue import git, make_repo
from tools.breaking.git import GateError, default_base, spec_at


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the real openapi.yaml."""
    return make_repo(tmp_path / "repo")


def test_default_base_is_head_without_origin_main(repo: Path) -> None:
    """Without origin/main the default BASE is HEAD, so uncommitted edits are what is checked."""
    assert default_base(repo) == "HEAD"


def test_default_base_prefers_origin_main(repo: Path) -> None:
    """With origin/main present it is the default."""
    git(repo, "update-ref", "refs/remotes/origin/main", git(repo, "rev-parse", "HEAD"))
    assert default_base(repo) == "origin/main"


def test_spec_at_reads_the_committed_text(repo: Path) -> None:
    """The committed text comes back even when the working tree's file was edited."""
    spec = repo / "openapi.yaml"
    committed = spec.read_text(encoding="utf-8")
    spec.write_text("edited\n", encoding="utf-8")
    assert spec_at("HEAD", spec) == committed


def test_unknown_ref_is_a_gate_error(repo: Path) -> None:
    """A ref git cannot resolve raises GateError naming the file and the ref."""
    with pytest.raises(GateError, match=r"cannot read openapi\.yaml at 'no-such-ref'"):
        spec_at("no-such-ref", repo / "openapi.yaml")
