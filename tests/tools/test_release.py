"""tools/release.py: `make release` in a small git repository holding this project's spec, client and changelog."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.tools.breaking.catalogue import ROOT, git
from tools.api_diff import ApiChange
from tools.breaking.accepted import ACCEPTED_NAME
from tools.breaking.model import BREAKING, NON
from tools.breaking.verdict import Finding
from tools.release import (
    Refused,
    Tree,
    decide,
    drop_entry,
    earlier_release,
    entry_lines,
    hand_edited,
    main,
    release,
    section_of,
    set_info_version,
    subject,
    write_entry,
)

TODAY = "2026-12-07"
# An optional response field, added as a maintainer would: in the text, under PaymentIntent's properties.
INTENT_PROPERTIES = "    PaymentIntent:\n"
CAPTURED_AT = "        captured_at:\n          type: string\n          description: When the funds were captured.\n"


def make_release_repo(root: Path) -> Tree:
    """A git repository at `root` whose one commit holds the spec, revision file, generated/ and CHANGELOG.md."""
    for name in ("openapi.yaml", "CHANGELOG.md", "codegen/revision.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    shutil.copytree(
        ROOT / "generated", root / "generated", ignore=shutil.ignore_patterns("__pycache__", ".pdm-build", "*.egg-info")
    )
    git(root, "init", "--quiet")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "spec 1.3.0")
    return Tree(root)


def add_response_field(tree: Tree) -> None:
    """Add the optional `captured_at` to PaymentIntent's properties, in the file's own text."""
    text = tree.spec.read_text(encoding="utf-8")
    start = text.index(INTENT_PROPERTIES)
    at = text.index("      properties:\n", start) + len("      properties:\n")
    tree.spec.write_text(text[:at] + CAPTURED_AT + text[at:], encoding="utf-8")


def snapshot(root: Path) -> dict[str, str]:
    """Every file's hash under `root`, git's own files and caches aside."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.parts and "__pycache__" not in path.parts
    }


def test_optional_field_releases_a_minor_version_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    """An optional response field: 1.3.0 -> 1.4.0, revision 0, regenerated, an `### Added` line; then a no-op."""
    tree = make_release_repo(tmp_path / "repo")
    add_response_field(tree)
    said: list[str] = []
    assert release(tree, None, TODAY, say=said.append) == 0
    assert "  version: 1.4.0\n" in tree.spec.read_text(encoding="utf-8")
    assert tree.revision.read_text(encoding="utf-8").endswith("info_version: 1.4.0\nrevision: 0\n")
    assert 'version = "1.4.0.0"' in (tree.generated / "pyproject.toml").read_text(encoding="utf-8")
    assert "captured_at" in (tree.generated / "dots_client" / "models" / "payment_intent.py").read_text("utf-8")
    changelog = tree.changelog.read_text(encoding="utf-8")
    entry = changelog[changelog.index("## [1.4.0] - 2026-12-07") : changelog.index("## [1.3.0]")]
    assert entry.startswith("## [1.4.0] - 2026-12-07\n\n### Added\n\n- `PaymentIntent.captured_at`: field added")
    assert "body.captured_at" in entry
    assert changelog.index("## [Unreleased]") < changelog.index("## [1.4.0]")
    first = snapshot(tree.root)
    again: list[str] = []
    assert release(tree, None, "2027-01-01", say=again.append) == 0
    assert snapshot(tree.root) == first
    assert any("1.4.0 kept" in line for line in again)
    assert git(tree.root, "rev-list", "--count", "HEAD") == "1"  # never commits
    assert git(tree.root, "tag") == ""  # never tags
    assert not (tree.root / "dist").exists()  # never builds


@pytest.mark.nightly
def test_an_edit_undone_after_a_release_undoes_that_release(tmp_path: Path) -> None:
    """Release a field, take the field out again, release: the tree is BASE's again, generated/ included."""
    tree = make_release_repo(tmp_path / "repo")
    committed = snapshot(tree.root)
    original = tree.spec.read_text(encoding="utf-8")
    add_response_field(tree)
    assert release(tree, None, TODAY, say=lambda _: None) == 0
    assert "  version: 1.4.0\n" in tree.spec.read_text(encoding="utf-8")
    tree.spec.write_text(set_info_version(original, "1.4.0"), encoding="utf-8")  # the field out, the version kept
    said: list[str] = []
    assert release(tree, None, TODAY, say=said.append) == 0
    assert {name: sha for name, sha in snapshot(tree.root).items() if ".ruff_cache" not in name} == committed
    assert "release: info.version 1.3.0 again: the earlier run's 1.4.0 undone" in said


@pytest.mark.nightly  # a release generates the client: seconds, beyond make test's budget
def test_an_accepted_change_is_still_released(tmp_path: Path) -> None:
    """A spec change whose finding an accepted-changes entry sets aside still changes the spec: a minor release."""
    tree = make_release_repo(tmp_path / "repo")
    add_response_field(tree)
    (tree.root / ACCEPTED_NAME).write_text(
        "accepted:\n  - rule: response-property-added\n"
        "    pointer: '#/components/schemas/PaymentIntent/properties/captured_at'\n    why: reviewed\n",
        encoding="utf-8",
    )
    said: list[str] = []
    assert release(tree, None, TODAY, say=said.append) == 0
    assert "  version: 1.4.0\n" in tree.spec.read_text(encoding="utf-8")
    assert "captured_at" in (tree.generated / "dots_client" / "models" / "payment_intent.py").read_text("utf-8")
    assert "## [1.4.0] - 2026-12-07\n\n### Added\n\n- `PaymentIntent.captured_at`: field added" in (
        tree.changelog.read_text(encoding="utf-8")
    )


@pytest.mark.nightly
def test_an_accepted_change_that_breaks_the_python_api_is_a_major_release(tmp_path: Path) -> None:
    """`requires_capture` removed with its wire finding accepted: the spec did change, so the API's break is a major
    release, not refused as a generator change."""
    tree = make_release_repo(tmp_path / "repo")
    text = tree.spec.read_text(encoding="utf-8")
    tree.spec.write_text(text.replace("        - requires_capture\n", "", 1), encoding="utf-8")
    (tree.root / ACCEPTED_NAME).write_text(
        "accepted:\n  - rule: response-enum-value-removed\n"
        "    pointer: '#/components/schemas/PaymentIntentStatus/enum'\n    why: never sent\n",
        encoding="utf-8",
    )
    assert release(tree, None, TODAY, say=lambda _: None) == 0
    assert "  version: 2.0.0\n" in tree.spec.read_text(encoding="utf-8")


@pytest.mark.nightly  # a release generates the client: seconds, beyond make test's budget
def test_a_version_raised_with_nothing_to_release_is_refused(tmp_path: Path) -> None:
    """info.version raised by hand, nothing else changed: refused in one line, nothing written."""
    tree = make_release_repo(tmp_path / "repo")
    tree.spec.write_text(set_info_version(tree.spec.read_text(encoding="utf-8"), "1.4.0"), encoding="utf-8")
    before = snapshot(tree.root)
    with pytest.raises(Refused, match=r"^release: info.version 1.4.0 was raised, but openapi.yaml and .* set it back"):
        release(tree, None, TODAY, say=lambda _: None)
    assert snapshot(tree.root) == before


def test_unknown_base_is_refused(tmp_path: Path) -> None:
    """A BASE git does not know is refused in one line, before anything is read or written."""
    tree = make_release_repo(tmp_path / "repo")
    before = snapshot(tree.root)
    with pytest.raises(Refused, match=r"^release: BASE 'no-such-ref' is not a commit") as refused:
        release(tree, "no-such-ref", TODAY, say=lambda _: None)
    assert "\n" not in str(refused.value)
    assert snapshot(tree.root) == before


def test_version_below_the_bump_is_refused_and_nothing_written(tmp_path: Path) -> None:
    """info.version raised by hand to 1.3.1 for a change that calls for a minor bump: refused, files untouched."""
    tree = make_release_repo(tmp_path / "repo")
    add_response_field(tree)
    tree.spec.write_text(set_info_version(tree.spec.read_text(encoding="utf-8"), "1.3.1"), encoding="utf-8")
    before = snapshot(tree.root)
    with pytest.raises(Refused, match=r"info.version 1.3.1 is lower than the minor bump .* at least 1.4.0"):
        release(tree, None, TODAY, say=lambda _: None)
    assert snapshot(tree.root) == before


def test_main_refuses_in_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m tools.release --base REF` with an unknown REF: exit 2, one line on stderr."""
    assert main(["--base", "no-such-ref-anywhere"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("release: BASE 'no-such-ref-anywhere'")


def test_decide_sets_keeps_or_refuses() -> None:
    """Unraised: set to BASE's plus the bump; raised to at least that: kept; below it or below BASE: refused."""
    assert decide("1.3.0", "1.3.0", "minor", spec_changed=True, api_major=False).version == "1.4.0"
    assert decide("1.3.0", "1.3.0", "major", spec_changed=True, api_major=True).version == "2.0.0"
    kept = decide("1.3.0", "2.0.0", "minor", spec_changed=True, api_major=False)
    assert (kept.version, kept.kept) == ("2.0.0", True)
    with pytest.raises(Refused, match="lower than the major bump"):
        decide("1.3.0", "1.4.0", "major", spec_changed=True, api_major=True)
    with pytest.raises(Refused, match="lower than BASE's"):
        decide("1.3.0", "1.2.0", "minor", spec_changed=True, api_major=False)


def test_api_break_without_spec_change_needs_the_major_version_moved() -> None:
    """A template or generator change that breaks the API is refused unless info.version's major part moved."""
    with pytest.raises(Refused, match=r"the spec's major version must move: set info.version to 2.0.0"):
        decide("1.3.0", "1.3.0", "major", spec_changed=False, api_major=True)
    moved = decide("1.3.0", "2.0.0", "major", spec_changed=False, api_major=True)
    assert (moved.version, moved.kept) == ("2.0.0", True)


def test_hand_edits_in_generated_are_found(tmp_path: Path) -> None:
    """Files of generated/ that differ from HEAD and from a fresh generation are hand edits; the version is not."""
    repo = tmp_path / "repo"
    (repo / "generated").mkdir(parents=True)
    (repo / "generated" / "pyproject.toml").write_text('[project]\nversion = "1.3.0.3"\n', encoding="utf-8")
    (repo / "generated" / "module.py").write_text("A = 1\n", encoding="utf-8")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    fresh = tmp_path / "fresh"
    shutil.copytree(repo / "generated", fresh)
    (fresh / "pyproject.toml").write_text('[project]\nversion = "1.4.0.0"\n', encoding="utf-8")
    assert hand_edited(repo, repo / "generated", fresh) == []  # as committed
    (repo / "generated" / "module.py").write_text("A = 2\n", encoding="utf-8")
    assert hand_edited(repo, repo / "generated", fresh) == ["generated/module.py"]
    (fresh / "module.py").write_text("A = 2\n", encoding="utf-8")
    assert hand_edited(repo, repo / "generated", fresh) == []  # what `make generate` writes


def test_changelog_entry_sections_and_breaking_marks() -> None:
    """Findings go to Keep a Changelog sections by their rule; breaking ones and major API changes say **Breaking:**."""
    found = [
        Finding(
            BREAKING, "request-property-added-required", "#/p", False, "field added as required", ("POST /x body.a",)
        ),
        Finding(NON, "response-property-added", "#/q", False, "field added", ("GET /x body.b", "POST /x body.b")),
    ]
    api = [ApiChange(True, "object-removed", "dots_client.m.S.X", "`m.S.X`: public object was removed")]
    sections = entry_lines(found, api)
    assert sections == {
        "Added": ["- field added (at GET /x body.b; POST /x body.b)"],
        "Changed": ["- **Breaking:** field added as required (at POST /x body.a)"],
        "Removed": ["- **Breaking:** Python API: `m.S.X`: public object was removed"],
    }
    assert subject("#/components/schemas/PaymentIntent/properties/metadata/properties/x") == "PaymentIntent.metadata.x"
    assert subject("#/components/schemas/PaymentIntentStatus/enum") == "PaymentIntentStatus.enum"
    assert subject("#/paths/~1v2~1payment-intents/post/operationId") == ""
    assert [section_of(r) for r in ("security-tightened", "operation-deprecated", "response-enum-value-removed")] == [
        "Security",
        "Deprecated",
        "Removed",
    ]


def test_changelog_entry_goes_after_unreleased_and_is_rewritten_in_place() -> None:
    """A new entry follows `## [Unreleased]`; a second write of that version replaces its sections, keeping its date."""
    log = "# Changelog\n\n## [Unreleased]\n\n## [1.3.0] - 2026-11-30\n\n### dots-client 1.3.0.3\n\n- x\n"
    once = write_entry(log, "1.4.0", "2026-12-07", {"Added": ["- a"]})
    assert once.index("## [Unreleased]") < once.index("## [1.4.0] - 2026-12-07\n\n### Added\n\n- a\n\n## [1.3.0]")
    twice = write_entry(once, "1.4.0", "2027-01-01", {"Added": ["- a"], "Removed": ["- b"]})
    assert "## [1.4.0] - 2026-12-07\n\n### Added\n\n- a\n\n### Removed\n\n- b\n\n## [1.3.0]" in twice
    assert twice.count("## [1.4.0]") == 1
    assert write_entry(once, "1.4.0", "2027-01-01", {"Added": ["- a"]}) == once


def test_set_info_version_changes_only_that_line() -> None:
    """Only `info.version`'s line changes; a `version:` elsewhere (a schema property) stays."""
    text = "openapi: 3.1.0\ninfo:\n  title: T\n  version: 1.3.0\npaths: {}\nx:\n  version: 9\n"
    assert set_info_version(text, "1.4.0") == text.replace("  version: 1.3.0", "  version: 1.4.0")


def test_a_version_an_earlier_run_set_is_decided_again(tmp_path: Path) -> None:
    """A version whose entry BASE's changelog lacks was set by an earlier run (decided again); else by hand (kept)."""
    tree = Tree(tmp_path / "repo")
    tree.root.mkdir()
    log = "# Changelog\n\n## [Unreleased]\n\n## [1.3.0] - 2026-11-30\n\n- x\n"
    tree.changelog.write_text(log, encoding="utf-8")
    git(tree.root, "init", "--quiet")
    git(tree.root, "add", ".")
    git(tree.root, "commit", "--quiet", "-m", "base")
    assert not earlier_release(tree, "HEAD", "1.4.0", "1.3.0")  # raised by hand: no entry of its own
    written = write_entry(log, "1.4.0", TODAY, {"Added": ["- a"]})
    tree.changelog.write_text(written, encoding="utf-8")
    assert earlier_release(tree, "HEAD", "1.4.0", "1.3.0")
    assert not earlier_release(tree, "HEAD", "1.3.0", "1.3.0")
    assert drop_entry(written, "1.4.0") == log
    assert drop_entry(log, "9.9.9") == log


# The Done-when cases that need two generations each (the spec alone calls for minor, the API for major): `make
# test` keeps its budget (the one-generation case above runs there), `make test-nightly` runs these.
@pytest.mark.nightly
def test_status_removed_is_a_major_release_naming_the_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`requires_capture` removed: its enum member is gone, so 2.0.0, and the report and the entry name it."""
    tree = make_release_repo(tmp_path / "repo")
    text = tree.spec.read_text(encoding="utf-8")
    tree.spec.write_text(text.replace("        - requires_capture\n", "", 1), encoding="utf-8")
    assert release(tree, None, TODAY, say=lambda _: None) == 0
    assert "  version: 2.0.0\n" in tree.spec.read_text(encoding="utf-8")
    report = capsys.readouterr().out
    assert "[breaking] `models.payment_intent_status.PaymentIntentStatus.REQUIRES_CAPTURE`" in report
    assert "- **Breaking:** Python API: `models.payment_intent_status.PaymentIntentStatus.REQUIRES_CAPTURE`" in (
        tree.changelog.read_text(encoding="utf-8")
    )
    assert 'version = "2.0.0.0"' in (tree.generated / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.nightly
def test_operation_id_renamed_is_major_through_the_api_diff(tmp_path: Path) -> None:
    """An operationId renamed (same paths, the gate alone says minor) drops its function: a major release."""
    tree = make_release_repo(tmp_path / "repo")
    text = tree.spec.read_text(encoding="utf-8")
    tree.spec.write_text(text.replace("operationId: create_payment_intent\n", "operationId: make_payment_intent\n", 1))
    said: list[str] = []
    assert release(tree, None, TODAY, say=said.append) == 0
    assert "release: major bump: the larger of the spec's (minor) and the Python API's (major)" in said
    assert "  version: 2.0.0\n" in tree.spec.read_text(encoding="utf-8")
    entry = tree.changelog.read_text(encoding="utf-8")
    assert "- **Breaking:** Python API: `api.payment_intents.create_payment_intent`: public object was removed" in entry
    assert (tree.generated / "dots_client" / "api" / "payment_intents" / "make_payment_intent.py").exists()
