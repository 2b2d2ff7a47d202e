"""`make release`: after `openapi.yaml` is edited, one command does what docs/spec-changes.md used to ask by hand.

`python -m tools.release [--base REF] [--format F]`, in this order:

1. reads `openapi.yaml` at BASE (a git ref; default `origin/main` when it exists, else `HEAD`) and runs the
   spec-change gate (:mod:`tools.breaking`) on the working tree's;
2. regenerates `dots_client` (into a temporary folder) and diffs its Python API against BASE's committed
   `generated/` (:mod:`tools.api_diff`);
3. decides the bump: the larger of the spec's (major for a breaking change, minor for any other change but
   documentation, patch for documentation only; a change an accepted-changes entry sets aside still changes
   the spec and `generated/`: at least minor) and the API's (major for a name users' code uses that is gone,
   renamed or made required);
4. sets `info.version` to BASE's raised by that bump, and `codegen/revision.yaml` to revision 0 of it;
5. regenerates `generated/` with that version;
6. writes the CHANGELOG.md entry `## [X.Y.Z] - DATE` (Keep a Changelog sections, breaking lines marked
   **Breaking:**, each line a finding's message and the operations it reaches).

It never commits, tags or builds. Run twice, the second run changes nothing: the version it set is kept (it
is at least what the changes call for), and an entry for that version is rewritten from the same changes with
its date kept (so hand edits to that entry are lost on a rerun: edit it last).

Kept or refused:
- a version raised by hand to at least what the changes call for is kept (and said); a lower one is refused;
- `generated/` holding changes that neither `HEAD` nor `make generate` wrote (a hand edit) is refused, unless an
  earlier run wrote it: a version an earlier run set (its CHANGELOG.md entry is not in BASE's) is decided again
  from BASE's, and that run's `generated/` and entry are replaced (when the spec is BASE's again, that run is
  undone: BASE's version, revision file and `generated/` back, its entry dropped);
- a BASE git does not know is refused, and so is a version raised by hand when nothing else changed;
- **a Python-API break with no spec change** (a template or generator upgrade) is refused, saying the spec's
  major version must move: dots-client's version is `info.version` plus a revision, and users pin it by its
  semver (`dots-client~=1.3`), so a break released as a revision would reach them unannounced. Raise
  `info.version`'s major part by hand and run again: the raised version is kept and the entry lists the API's
  changes. A non-breaking API change with no spec change is a revision (`codegen/revision.yaml`), not a
  release: refused with that hint.
Each refusal is one line on stderr, exit status 2, and nothing written.

The gate's report is printed first (in `--format`, with the API diff), as the released version would be
judged; the release's own lines follow (on stderr for formats other than `text`).
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from dots_spec.refs import unescape
from dots_spec.version import info_version
from tools import api_diff
from tools.breaking.accepted import ACCEPTED_NAME, apply, load_accepted
from tools.breaking.compare import compare
from tools.breaking.formats import FORMATS, Report, larger_bump, render_as
from tools.breaking.git import GateError, default_base, is_commit, run_git, spec_at
from tools.breaking.model import BREAKING, NON
from tools.breaking.read import read_document
from tools.breaking.verdict import Finding, bumped, findings, release_bump
from tools.client_version import VersionError, changed_since
from tools.codegen import diff_trees, generate

ROOT = Path(__file__).resolve().parent.parent
# Keep a Changelog's sections, in its order (https://keepachangelog.com/en/1.1.0/).
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
UNRELEASED = "## [Unreleased]"
WIDTH = 100


class Refused(Exception):
    """The release cannot go ahead; the message is the one line that says why (exit status 2)."""


@dataclass(frozen=True)
class Tree:
    """The files a release reads and writes, under a repository's root."""

    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "openapi.yaml"

    @property
    def generated(self) -> Path:
        return self.root / "generated"

    @property
    def revision(self) -> Path:
        return self.root / "codegen" / "revision.yaml"

    @property
    def changelog(self) -> Path:
        return self.root / "CHANGELOG.md"


@dataclass(frozen=True)
class Decision:
    """The version a release gives: `version`, the `bump` that called for it, and whether a hand-set one was kept."""

    version: str
    bump: str
    kept: bool


def decide(base_version: str, current: str, bump: str, *, spec_changed: bool, api_major: bool) -> Decision:
    """The version to release from `base_version` (BASE's) and `current` (the working tree's), for `bump`.

    Raises Refused when `current` is lower than BASE's or than what `bump` calls for, when a version is not
    MAJOR.MINOR.PATCH, when there is nothing to release, and for a Python-API break without a spec change
    unless the major part was raised by hand (see the module's docstring).
    """
    try:
        base, now = Version(base_version), Version(current)
    except InvalidVersion:
        raise Refused(f"release: info.version must be PEP 440 (BASE {base_version!r}, now {current!r})") from None
    if now < base:
        raise Refused(f"release: info.version {current} is lower than BASE's {base_version}: raise it or reset it")
    if not spec_changed and api_major and now.major <= base.major:
        raise Refused(
            "release: dots_client's Python API breaks but openapi.yaml did not change (a template or generator "
            f"change): the spec's major version must move: set info.version to {bumped(base_version, 'major')} "
            "and run again"
        )
    if not spec_changed and bump != "none" and now == base:
        raise Refused(
            "release: openapi.yaml did not change but dots_client's API did: that is a revision, not a release: "
            "raise `revision` in codegen/revision.yaml by one (docs/spec-changes.md, the version)"
        )
    if bump == "none":
        return Decision(current, "none", kept=True)
    target = bumped(base_version, bump)
    if target is None:
        raise Refused(f"release: info.version {base_version} at BASE is not MAJOR.MINOR.PATCH: cannot bump it")
    if now == base:
        return Decision(target, bump, kept=False)
    if now >= Version(target):
        return Decision(current, bump, kept=True)
    raise Refused(
        f"release: info.version {current} is lower than the {bump} bump the changes call for "
        f"({base_version} at BASE -> at least {target}): raise it, or set it back to {base_version}"
    )


def section_of(rule: str) -> str:
    """The Keep a Changelog section of a gate rule (by the words in its name)."""
    if rule.startswith("security-"):
        return "Security"
    if "deprecated" in rule:
        return "Deprecated"
    if rule.endswith("-removed") or "-removed-" in rule:
        return "Removed"
    if rule.endswith("-added") or rule.endswith("-opened"):
        return "Added"
    return "Changed"


def subject(pointer: str) -> str:
    """What a finding is about, for a changelog line: `Schema.field.sub` for a pointer into a component schema
    (`#/components/schemas/PaymentIntent/properties/captured_at` is `PaymentIntent.captured_at`), else empty."""
    prefix = "#/components/schemas/"
    if not pointer.startswith(prefix):
        return ""
    parts = [unescape(part) for part in pointer.removeprefix(prefix).split("/")]
    return ".".join(part for i, part in enumerate(parts) if not (i % 2 and part == "properties"))


def _item(text: str) -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def entry_lines(found: list[Finding], api: list[api_diff.ApiChange]) -> dict[str, list[str]]:
    """The entry's lines per section: each spec finding (message, then the operations it reaches), then each
    Python API change not already a spec finding's consequence, breaking ones marked **Breaking:**."""
    sections: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for finding in found:
        mark = "**Breaking:** " if finding.severity is BREAKING else ""
        reaches = f" (at {'; '.join(finding.wheres)})" if finding.wheres else ""
        about = f"`{subject(finding.pointer)}`: " if subject(finding.pointer) else ""
        sections[section_of(finding.rule)] += _item(f"{mark}{about}{finding.message}{reaches}")
    for change in api:
        mark = "**Breaking:** " if change.major else ""
        name = "Removed" if change.kind in {"object-removed", "parameter-removed"} else "Changed"
        sections[name] += _item(f"{mark}Python API: {change.message}")
    return {name: lines for name, lines in sections.items() if lines}


def write_entry(changelog: str, version: str, date: str, sections: dict[str, list[str]]) -> str:
    """`changelog` with the entry for `version`: a new one after `## [Unreleased]`, or the existing one's
    sections replaced (its date kept). The entry's own part ends at the next `## ` or `### dots-client` line."""
    lines = changelog.split("\n")
    span = _entry_span(lines, version)
    if span is not None:
        at, end = span
        dated = re.match(r"^## \[[^\]]*\] - (\S+)", lines[at])
        date = dated.group(1) if dated else date
    else:
        unreleased = next((i for i, line in enumerate(lines) if line.strip() == UNRELEASED), None)
        start = 0 if unreleased is None else unreleased + 1
        at = next((j for j in range(start, len(lines)) if lines[j].startswith("## ")), len(lines))
        end = at
    body = [f"## [{version}] - {date}", ""]
    for name, items in sections.items():
        body += [f"### {name}", "", *items, ""]
    return "\n".join([*lines[:at], *body, *lines[end:]])


def _entry_span(lines: list[str], version: str) -> tuple[int, int] | None:
    """The lines of `version`'s own part of the changelog: from its heading to the next `## ` or `### dots-client`."""
    heading = re.compile(rf"^## \[{re.escape(version)}\](?: - \S+)?\s*$")
    at = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    if at is None:
        return None
    end = next((j for j in range(at + 1, len(lines)) if lines[j].startswith(("## ", "### dots-client"))), len(lines))
    return at, end


def drop_entry(changelog: str, version: str) -> str:
    """`changelog` without `version`'s entry (as it was when there is none)."""
    lines = changelog.split("\n")
    span = _entry_span(lines, version)
    return changelog if span is None else "\n".join([*lines[: span[0]], *lines[span[1] :]])


def set_info_version(text: str, version: str) -> str:
    """`openapi.yaml`'s text with `info.version` set to `version`, the rest byte for byte.

    Raises Refused when the `version:` line of the `info` block cannot be found.
    """
    found = re.search(r"^info:\s*\n(?:(?:[ \t]+.*|\s*)\n)*?([ \t]+)version:[^\n]*", text, re.MULTILINE)
    if not found:
        raise Refused("release: cannot find info.version's line in openapi.yaml (is `info:` a block mapping?)")
    start = found.start(1)
    return text[:start] + f"{found.group(1)}version: {version}" + text[found.end() :]


def set_revision(text: str, version: str) -> str:
    """`codegen/revision.yaml`'s text counting revision 0 of `version`, its comments kept."""
    text = re.sub(r"^info_version:.*$", f"info_version: {version}", text, flags=re.MULTILINE)
    return re.sub(r"^revision:.*$", "revision: 0", text, flags=re.MULTILINE)


def _revision_counts(text: str, version: str) -> bool:
    data = yaml.safe_load(text) or {}
    return isinstance(data, dict) and str(data.get("info_version")) == version


def _ignored(path: Path) -> bool:
    return any(part == "__pycache__" or part.endswith((".pyc", ".egg-info")) for part in path.parts)


def _versionless(tree: Path) -> str:
    text = (tree / "pyproject.toml").read_text(encoding="utf-8") if (tree / "pyproject.toml").exists() else ""
    return re.sub(r"(?m)^version = .*$", "", text)


def hand_edited(root: Path, generated: Path, fresh: Path) -> list[str]:
    """Files of `generated` that differ from `HEAD` and from `fresh` (a generation of the working tree's spec).

    The package version (in `pyproject.toml`) is not compared: `fresh` may carry the version being released.
    Empty when `generated` is as committed, or as `make generate` would write it. Raises Refused when git
    cannot compare.
    """
    try:
        changed = changed_since(root, "HEAD", generated.name, _ignored)
    except VersionError as error:
        raise Refused(f"release: {error}") from None
    if not changed:
        return []
    differences = [line for line in diff_trees(fresh, generated) if line != "changed: pyproject.toml"]
    if _versionless(fresh) != _versionless(generated):
        differences.append("changed: pyproject.toml")
    return changed if differences else []


@dataclass(frozen=True)
class Inputs:
    """One version's generator inputs: the texts of openapi.yaml and codegen/revision.yaml."""

    spec: str
    revision: str


def inputs_for(spec_text: str, revision_text: str, version: str) -> Inputs:
    """The inputs that give `version`: info.version set, the revision file reset unless it counts it already."""
    if not _revision_counts(revision_text, version):
        revision_text = set_revision(revision_text, version)
    return Inputs(set_info_version(spec_text, version), revision_text)


def release(tree: Tree, base: str | None, today: str, fmt: str = "text", say: Callable[[str], None] = print) -> int:
    """Release the working tree's spec against `base` (None: origin/main, else HEAD) as described above.

    `today` is the entry's date (YYYY-MM-DD); the gate's report goes to stdout in `fmt`, the release's own lines
    through `say`. Returns 0 (released, or nothing to release). Raises Refused (nothing written).
    """
    try:
        ref = base or default_base(tree.root)
    except GateError as error:
        raise Refused(f"release: {error}") from None
    if not is_commit(tree.root, ref):
        raise Refused(f"release: BASE {ref!r} is not a commit in {tree.root}: pass BASE=<a ref that exists>")
    try:
        # Read as the gate reads (integer status codes, one-line refusals), its reviewed changes set aside.
        old = read_document(spec_at(ref, tree.spec), f"{ref}:openapi.yaml")
        spec_text = tree.spec.read_text(encoding="utf-8")
        revision_text = tree.revision.read_text(encoding="utf-8")
        new = read_document(spec_text, str(tree.spec))
        changes, accepted, unmatched = apply(compare(old, new), load_accepted(tree.spec.parent / ACCEPTED_NAME))
    except (GateError, OSError, ValueError, yaml.YAMLError) as error:
        raise Refused(f"release: {error}") from None
    base_version, current = info_version(old), info_version(new)
    spec_bump = release_bump(changes, len(accepted))
    spec_changed = bool(changes or accepted)
    # A version an earlier run set is decided again from BASE's (the spec may have changed since); one set by hand
    # is the maintainer's floor.
    earlier = earlier_release(tree, ref, current, base_version)
    floor = base_version if earlier else current
    # The API diff can only raise the bump, so what the spec alone refuses stays refused: say it before generating.
    guess = decide(base_version, floor, spec_bump, spec_changed=spec_changed, api_major=False)
    with tempfile.TemporaryDirectory(prefix="dots-release-") as tmp:
        fresh = _generate(Path(tmp), inputs_for(spec_text, revision_text, guess.version))
        # After an earlier run, generated/ is that run's output for the spec as it was then: it is replaced.
        edited = [] if earlier else hand_edited(tree.root, tree.generated, fresh)
        if edited:
            shown = ", ".join(edited[:3]) + (" ..." if len(edited) > 3 else "")
            raise Refused(
                f"release: generated/ has changes neither HEAD nor `make generate` wrote ({shown}): "
                "commit or discard them"
            )
        try:
            api = api_diff.diff(api_diff.load_at(tree.root, ref), api_diff.load_from(fresh))
        except api_diff.ApiDiffError as error:
            raise Refused(f"release: {error}") from None
        bump = larger_bump(spec_bump, api_diff.bump(api))
        decision = decide(base_version, floor, bump, spec_changed=spec_changed, api_major=api_diff.bump(api) == "major")
        decision = replace(decision, kept=decision.version == current)
        if not spec_changed and not api:
            if earlier:  # the edit an earlier run released is undone: so is that run
                undone = Inputs(set_info_version(spec_text, base_version), revision_text)
                _undo(tree, ref, undone, (base_version, current), say)
            if current != base_version and not earlier:
                raise Refused(
                    f"release: info.version {current} was raised, but openapi.yaml and dots_client's API are as at "
                    f"{ref}: nothing to release: set it back to {base_version}"
                )
            say(f"release: nothing to release: openapi.yaml and dots_client's API are as at {ref} ({base_version})")
            return 0
        report = Report(changes, base_version, decision.version, f"release: openapi.yaml against {ref}", "openapi.yaml",
                        spec_text, api, accepted, unmatched)  # fmt: skip
        sys.stdout.write(render_as(fmt, report).stdout)
        say(f"release: {bump} bump: the larger of the spec's ({spec_bump}) and the Python API's ({api_diff.bump(api)})")
        _apply(tree, decision, inputs_for(spec_text, revision_text, decision.version), (guess, fresh), say)
    stale = current if earlier and current != decision.version else None
    # Accepted changes are released too, as the reviewed-safe changes they are (never marked breaking).
    released = changes + [replace(change, severity=NON) for change, _ in accepted]
    _write_changelog(tree, (decision.version, stale), today, entry_lines(findings(released), api), say)
    return 0


def _undo(tree: Tree, ref: str, inputs: Inputs, versions: tuple[str, str], say: Callable[[str], None]) -> None:
    """Put back what an earlier run that released `versions[1]` changed: BASE's info.version `versions[0]` (set in
    `inputs`), BASE's revision file, `generated/` for them, and the changelog without that run's entry."""
    base_version, version = versions
    at_base = run_git(tree.root, "show", f"{ref}:codegen/{tree.revision.name}")
    if at_base.returncode == 0:
        inputs = replace(inputs, revision=at_base.stdout)
    tree.spec.write_text(inputs.spec, encoding="utf-8")
    tree.revision.write_text(inputs.revision, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="dots-release-") as tmp:
        _replace(tree.generated, _generate(Path(tmp), inputs))
    tree.changelog.write_text(drop_entry(tree.changelog.read_text(encoding="utf-8"), version), encoding="utf-8")
    say(f"release: info.version {base_version} again: the earlier run's {version} undone")


def earlier_release(tree: Tree, ref: str, current: str, base_version: str) -> bool:
    """Whether `current` (the working tree's info.version) was set by an earlier `make release`, not by hand: it is
    not BASE's, and the working tree's CHANGELOG.md has its entry while BASE's has not."""
    if current == base_version or not tree.changelog.exists():
        return False
    heading = f"## [{current}] - "
    at_base = run_git(tree.root, "show", f"{ref}:{tree.changelog.name}").stdout
    return heading in tree.changelog.read_text(encoding="utf-8") and heading not in at_base


def _generate(folder: Path, inputs: Inputs) -> Path:
    """`generated/` for `inputs`, written under `folder` (what `make generate` writes for them)."""
    (folder / "openapi.yaml").write_text(inputs.spec, encoding="utf-8")
    (folder / "revision.yaml").write_text(inputs.revision, encoding="utf-8")
    try:
        generate(folder / "openapi.yaml", folder / "generated", revision=folder / "revision.yaml")
    except SystemExit as error:
        raise Refused(f"release: cannot generate dots_client: {error}") from None
    return folder / "generated"


def _apply(
    tree: Tree, decision: Decision, inputs: Inputs, fresh: tuple[Decision, Path], say: Callable[[str], None]
) -> None:
    """Write info.version, the revision and generated/ (`fresh`'s folder when it was made for its version)."""
    guess, folder = fresh
    how = "kept (at least what the changes call for)" if decision.kept else "set"
    # `kept` here: the working tree already has this version (set by hand, or by an earlier run).
    say(f"release: info.version {decision.version} {how}")
    if tree.revision.read_text(encoding="utf-8") != inputs.revision:
        say(f"release: codegen/revision.yaml: revision 0 of {decision.version}")
    tree.spec.write_text(inputs.spec, encoding="utf-8")
    tree.revision.write_text(inputs.revision, encoding="utf-8")
    if decision.version != guess.version:
        # The API called for more than the spec: generate again, for the version it calls for.
        with tempfile.TemporaryDirectory(prefix="dots-release-") as tmp:
            _replace(tree.generated, _generate(Path(tmp), inputs))
    else:
        _replace(tree.generated, folder)
    say(f"release: generated/ is dots_client for {decision.version}")


def _replace(generated: Path, fresh: Path) -> None:
    """Make `generated` hold what `fresh` holds (nothing is touched when they already agree)."""
    if diff_trees(fresh, generated):
        shutil.rmtree(generated, ignore_errors=True)
        shutil.copytree(fresh, generated)


def _write_changelog(
    tree: Tree, versions: tuple[str, str | None], today: str, sections: dict[str, list[str]], say: Callable[[str], None]
) -> None:
    """Write the entry of `versions[0]`, and drop that of `versions[1]` (an earlier run's version) when given."""
    version, stale = versions
    empty = f"# Changelog\n\n{UNRELEASED}\n"
    before = tree.changelog.read_text(encoding="utf-8") if tree.changelog.exists() else empty
    after = write_entry(before if stale is None else drop_entry(before, stale), version, today, sections)
    if stale is not None:
        say(f"release: CHANGELOG.md: [{stale}], an earlier run's entry, replaced")
    if after == before:
        say(f"release: CHANGELOG.md: [{version}] already says this")
        return
    tree.changelog.write_text(after, encoding="utf-8")
    count = sum(len([line for line in items if line.startswith("- ")]) for items in sections.values())
    say(f"release: CHANGELOG.md: [{version}] written ({count} line{'' if count == 1 else 's'})")


def main(argv: list[str] | None = None) -> int:
    """`python -m tools.release`: the exit status (0 released or nothing to do, 2 refused)."""
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="git ref to release against (default: origin/main if it exists, else HEAD)")
    parser.add_argument("--format", default="text", choices=FORMATS, help="the gate report's format (default: text)")
    args = parser.parse_args(argv)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    out = sys.stdout if args.format == "text" else sys.stderr

    def say(line: str) -> None:
        print(line, file=out)

    try:
        return release(Tree(ROOT), args.base or None, today, args.format, say)
    except Refused as refusal:
        print(refusal, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
