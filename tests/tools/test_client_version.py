"""tools/client_version.py: dots-client's version (info.version + revision) and the gate on unbumped changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from tools import codegen
from tools.client_version import (
    REVISION,
    VersionError,
    client_version,
    read_revision,
    unbumped_change,
    with_revision,
)

PYPROJECT = '[project]\nname = "dots-client"\nversion = "{version}"\n'


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a spec, a revision file and a generated package at version 1.3.0.1, committed."""
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "test@example.invalid")
    _git(tmp_path, "config", "user.name", "test")
    (tmp_path / "openapi.yaml").write_text("info:\n  version: 1.3.0\n", encoding="utf-8")
    (tmp_path / "codegen").mkdir()
    (tmp_path / "codegen" / "revision.yaml").write_text("info_version: 1.3.0\nrevision: 1\n", encoding="utf-8")
    package = tmp_path / "generated" / "dots_client"
    package.mkdir(parents=True)
    (package / "types.py").write_text("UNSET = object()\n", encoding="utf-8")
    (tmp_path / "generated" / "pyproject.toml").write_text(PYPROJECT.format(version="1.3.0.1"), encoding="utf-8")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def _edit_generated(repo: Path) -> None:
    with (repo / "generated" / "dots_client" / "types.py").open("a", encoding="utf-8") as handle:
        handle.write("# a template edit, regenerated\n")


def test_unchanged_generated_passes(repo: Path) -> None:
    """generated/ as at BASE needs no new version."""
    assert unbumped_change(repo, "HEAD") is None


def test_template_change_without_a_bump_names_the_revision_file(repo: Path) -> None:
    """A regenerated template edit under the same version fails, naming codegen/revision.yaml and the changed file."""
    _edit_generated(repo)
    reason = unbumped_change(repo, "HEAD")
    assert reason is not None
    assert "generated/dots_client/types.py" in reason
    assert "still 1.3.0.1" in reason
    assert "Raise `revision` in codegen/revision.yaml" in reason


def test_committed_template_change_without_a_bump_fails_against_the_base(repo: Path) -> None:
    """The same edit committed is still caught when BASE is the commit before it (CI's origin/<branch>)."""
    _edit_generated(repo)
    _git(repo, "commit", "-q", "-am", "template edit")
    assert unbumped_change(repo, "HEAD") is None
    assert unbumped_change(repo, "HEAD~1") is not None


def test_spec_change_without_a_bump_names_the_spec(repo: Path) -> None:
    """When openapi.yaml changed too, the fix named is info.version in openapi.yaml."""
    _edit_generated(repo)
    (repo / "openapi.yaml").write_text("info:\n  version: 1.3.0\n  title: edited\n", encoding="utf-8")
    reason = unbumped_change(repo, "HEAD")
    assert reason is not None
    assert "Raise info.version in openapi.yaml" in reason


def test_a_new_generated_file_counts_as_a_change(repo: Path) -> None:
    """An untracked file generation added is a change of the package too."""
    (repo / "generated" / "dots_client" / "new.py").write_text("X = 1\n", encoding="utf-8")
    reason = unbumped_change(repo, "HEAD")
    assert reason is not None
    assert "generated/dots_client/new.py" in reason


def test_caches_the_drift_gate_ignores_are_no_change(repo: Path) -> None:
    """A build cache inside generated/ is no change of the package when the drift gate's rule is passed."""
    (repo / "generated" / "build").mkdir()
    (repo / "generated" / "build" / "lib.py").write_text("X = 1\n", encoding="utf-8")
    assert unbumped_change(repo, "HEAD") is not None
    assert unbumped_change(repo, "HEAD", ignored=codegen._is_ignored) is None


def test_template_change_with_the_revision_bumped_passes(repo: Path) -> None:
    """The same edit with the package's version raised (1.3.0.2) passes."""
    _edit_generated(repo)
    (repo / "generated" / "pyproject.toml").write_text(PYPROJECT.format(version="1.3.0.2"), encoding="utf-8")
    assert unbumped_change(repo, "HEAD") is None


def test_no_package_at_base_is_no_objection(repo: Path) -> None:
    """A BASE without generated/pyproject.toml (the package is new there) passes."""
    _git(repo, "rm", "-q", "--cached", "generated/pyproject.toml")
    _git(repo, "commit", "-q", "-m", "no package")
    assert unbumped_change(repo, "HEAD") is None


def test_unknown_base_is_an_error(repo: Path) -> None:
    """A BASE that is not a commit is an error that says what to pass."""
    with pytest.raises(VersionError, match="pass BASE="):
        unbumped_change(repo, "origin/nowhere")


@pytest.mark.parametrize(
    ("spec_version", "revision", "expected"),
    [
        ("1.3.0", 1, "1.3.0.1"),
        ("2.0.0", 0, "2.0.0.0"),
        ("2.1.0rc1", 2, "2.1.0.2rc1"),
        ("1!1.0.0.post3", 5, "1!1.0.0.5.post3"),
    ],
)
def test_revision_is_the_fourth_release_number(spec_version: str, revision: int, expected: str) -> None:
    """The revision becomes the fourth release number; epoch, pre-, post-release parts are kept (PEP 440)."""
    assert with_revision(Version(spec_version), revision) == Version(expected)
    assert str(with_revision(Version(spec_version), revision)) == expected


def test_client_version_of_the_repository() -> None:
    """The repository's spec and revision file agree and give the generated package's version."""
    counted = read_revision(REVISION)
    assert str(client_version(codegen.SPEC)) == f"{counted.info_version}.{counted.revision}"


def test_four_number_info_version_is_refused(tmp_path: Path) -> None:
    """info.version with a fourth number would collide with the revision: refused."""
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo:\n  title: t\n  version: 1.3.0.1\npaths: {}\n", encoding="utf-8")
    with pytest.raises(VersionError, match="three release numbers"):
        client_version(spec)


@pytest.mark.parametrize(
    "text", ["revision: 1\n", "info_version: 1.3.0\nrevision: -1\n", "info_version: 1.3.0\nrevision: x\n"]
)
def test_malformed_revision_file_is_refused(tmp_path: Path, text: str) -> None:
    """A revision file without both fields, or with a revision that is not a whole number >= 0, is refused."""
    path = tmp_path / "revision.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VersionError, match="needs `info_version"):
        read_revision(path)
