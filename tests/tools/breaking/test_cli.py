"""tools/breaking/cli.py: `python -m tools.breaking` (what `make check-breaking` runs), end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import (
    CREATE_PROPS,
    RETRIEVE,
    ROOT,
    STATUS,
    append,
    discard,
    drop,
    edited_spec,
    git,
    make_repo,
    put,
    write_spec,
)
from tools.breaking.accepted import ACCEPTED_NAME
from tools.breaking.cli import main
from tools.breaking.git import default_base


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the real openapi.yaml."""
    return make_repo(tmp_path / "repo")


def test_major_bump_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI exits 0 on a breaking change when the new file's major version is higher."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    spec = edited_spec([append((*STATUS, "enum"), "refunded"), put(("info", "version"), "2.0.0")])
    new.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert main(["--base-file", str(old), "--spec", str(new)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "PASS: 1 breaking, 0 possibly breaking, 0 non-breaking; the breaking changes come with a major bump "
        f"(info.version {load_spec()['info']['version']} -> 2.0.0)"
    )


def test_base_ref_reads_the_committed_spec(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--base HEAD compares the working tree's edit with `git show HEAD:openapi.yaml`."""
    spec = repo / "openapi.yaml"
    write_spec(spec, [drop(RETRIEVE)])
    assert main(["--base", "HEAD", "--spec", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "against HEAD:openapi.yaml" in out.splitlines()[0]
    assert "[operation-removed]" in out


def test_default_base_prefers_origin_main(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With origin/main present it is the default, so committed branch changes are checked too."""
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/remotes/origin/main", first)
    spec = repo / "openapi.yaml"
    write_spec(spec, [append((*STATUS, "enum"), "refunded")])
    git(repo, "commit", "--quiet", "-am", "add refunded")
    assert default_base(repo) == "origin/main"
    assert main(["--spec", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "against origin/main:openapi.yaml" in out
    assert "[response-enum-value-added]" in out


def test_spec_in_a_subdirectory_is_read_at_its_own_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ref is read relative to the spec's directory, not the repository root."""
    sub = repo / "api"
    sub.mkdir()
    git(repo, "mv", "openapi.yaml", "api/openapi.yaml")
    git(repo, "commit", "--quiet", "-m", "move")
    assert main(["--base", "HEAD", "--spec", str(sub / "openapi.yaml")]) == 0
    version = load_spec()["info"]["version"]
    assert capsys.readouterr().out.splitlines()[-1] == f"PASS: no changes (info.version {version} -> {version})"


def test_unknown_ref_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A ref git cannot resolve stops the gate with status 2 and says which."""
    assert main(["--base", "no-such-ref", "--spec", str(repo / "openapi.yaml")]) == 2
    assert "cannot read openapi.yaml at 'no-such-ref'" in capsys.readouterr().err


def test_spec_missing_at_base_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A base commit without the spec is an error, not an empty comparison."""
    (repo / "README").write_text("x\n", encoding="utf-8")
    git(repo, "add", "README")
    git(repo, "commit", "--quiet", "-m", "readme")
    git(repo, "checkout", "--quiet", "--orphan", "empty")
    git(repo, "rm", "--quiet", "--cached", "openapi.yaml")
    git(repo, "commit", "--quiet", "-m", "no spec")
    assert main(["--base", "HEAD", "--spec", str(repo / "openapi.yaml")]) == 2
    assert "cannot read openapi.yaml at 'HEAD'" in capsys.readouterr().err


def test_cli_runs_as_module(repo: Path) -> None:
    """`python -m tools.breaking` (what `make check-breaking` runs) prints the report and exits 1 on breaking."""
    spec = repo / "openapi.yaml"
    write_spec(spec, [put((*CREATE_PROPS, "description", "maxLength"), 100)])
    result = subprocess.run(
        [sys.executable, "-m", "tools.breaking", "--base", "HEAD", "--spec", str(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "[request-size-narrowed]" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("FAIL: 1 breaking")
    assert "\x1b[" not in result.stdout  # plain text: no colour codes in CI logs


def test_makefile_documents_check_breaking() -> None:
    """`make help` lists check-breaking, and the target passes BASE through."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "check-breaking: setup ## " in makefile
    assert "-m tools.breaking $(if $(BASE),--base '$(BASE)')" in makefile


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n', "a Swagger 2.0 document"),
        ("openapi: 3.1.0\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n", "dangling $ref"),
        ("openapi: 3.1.0\ncomponents:\n  schemas:\n    A: {$ref: 'common.yaml#/B'}\n", "points outside the document"),
    ],
)
def test_a_document_it_cannot_compare_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    """Swagger 2.0, a dangling or external $ref: exit 2, one line on stderr naming it, nothing on stdout."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    new.write_text(text, encoding="utf-8")
    assert main(["--base-file", str(old), "--spec", str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("check-breaking: ")
    assert says in line


def test_an_unforeseen_failure_exits_2_not_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 1 means a breaking change and nothing else: an internal error is a one-line refusal."""
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")

    def fail(*_: object) -> None:
        raise AttributeError("'int' object has no attribute 'replace'")

    monkeypatch.setattr("tools.breaking.cli.compare", fail)
    assert main(["--base-file", str(spec), "--spec", str(spec)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("AttributeError: 'int' object has no attribute 'replace'")


def test_unquoted_status_codes_compare_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 3.0 file written with `200:` keys is read, and a change in it is found (no traceback, exit 1)."""
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths:\n  /t:\n    get:\n      responses:\n"
        "        200:\n          description: ok\n          content:\n            application/json:\n"
        "              schema: {type: object, required: [id], properties: {id: {type: string}}}\n"
    )
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    new.write_text(text.replace("required: [id], ", ""), encoding="utf-8")
    assert main(["--base-file", str(old), "--spec", str(new)]) == 1
    assert (
        "[response-property-became-optional] #/paths/~1t/get/responses/200/content/application~1json/schema/required"
        in (capsys.readouterr().out)
    )


def test_an_accepted_change_passes_and_a_stale_entry_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reviewed entry moves its change under ACCEPTED (the gate passes); one matching nothing is listed."""
    old, new, accepted = tmp_path / "old.yaml", tmp_path / "new.yaml", tmp_path / ACCEPTED_NAME
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    new.write_text(yaml.safe_dump(edited_spec([discard((*STATUS, "enum"), "requires_capture")]), sort_keys=False))
    accepted.write_text(
        "accepted:\n"
        "  - rule: response-enum-value-removed\n    pointer: '#/components/schemas/PaymentIntentStatus/enum'\n"
        "    why: never sent by any deployed server\n"
        "  - rule: operation-removed\n    pointer: '#/paths/~1v2~1gone/get'\n    why: was removed last release\n",
        encoding="utf-8",
    )
    assert main(["--base-file", str(old), "--spec", str(new)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("ACCEPTED (1)")
    assert lines[at + 1] == "  [response-enum-value-removed] #/components/schemas/PaymentIntentStatus/enum"
    assert "accepted (openapi-accepted-changes.yaml entry 1): never sent by any deployed server" in lines[at + 2]
    assert lines[lines.index("UNMATCHED ACCEPTED ENTRIES (1)") + 2] == (
        "      openapi-accepted-changes.yaml entry 2 matches no change: remove it"
    )
    version = load_spec()["info"]["version"]
    assert (
        lines[-1]
        == f"PASS: 0 breaking, 0 possibly breaking, 0 non-breaking, 1 accepted (info.version {version} -> {version})"
    )
