"""The verdict: changes grouped into findings, the version bump they call for, pass or fail.

The versions are `info.version` at BASE and in the working tree; it is also the generated package's version
(`dots_spec.version`), so the bump the gate asks for is the one version bump there is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.breaking.model import BREAKING, Change, Severity


@dataclass(frozen=True)
class Finding:
    """One change as reported: the same schema change reached through several operations is one finding."""

    severity: Severity
    rule: str
    pointer: str
    in_base: bool
    message: str
    wheres: tuple[str, ...]


def findings(changes: list[Change]) -> list[Finding]:
    """Group changes by what changed (rule, pointer, message), keeping every place each one affects."""
    groups: dict[tuple[Severity, str, str, bool, str], list[str]] = {}
    for change in sorted(changes):
        key = (change.severity, change.rule, change.pointer, change.in_base, change.message)
        groups.setdefault(key, [])
        if change.where not in groups[key]:
            groups[key].append(change.where)
    return [Finding(*key, wheres=tuple(wheres)) for key, wheres in groups.items()]


def major(version: object) -> int | None:
    """The major part of a `MAJOR.MINOR.PATCH` version (a leading `v` is allowed), or None."""
    found = re.match(r"v?(\d+)(?:[.+-]|$)", str(version).strip())
    return int(found.group(1)) if found else None


def suggested_bump(changes: list[Change]) -> str:
    """The smallest semver bump the changes call for: major, minor, patch or none."""
    if any(c.severity is BREAKING for c in changes):
        return "major"
    if any(c.rule != "docs-changed" for c in changes):
        return "minor"
    return "patch" if changes else "none"


def release_bump(changes: list[Change], accepted: int) -> str:
    """The spec's bump for `make release` (and the verdict `make check-compat` checks): :func:`suggested_bump` of
    the changes still judged, and at least minor when `accepted` changes were set aside by reviewed entries (they
    leave the verdict, not the spec: `generated/` changes with them, as for any change but documentation)."""
    bump = suggested_bump(changes)
    return "minor" if accepted and bump in {"none", "patch"} else bump


def bumped(version: str, bump: str) -> str | None:
    """`version` raised by `bump` (major, minor or patch); None when it is not MAJOR.MINOR.PATCH."""
    parts = version.split(".")
    if len(parts) < 3 or not all(part.isdigit() for part in parts[:3]):
        return None
    x, y, z = (int(part) for part in parts[:3])
    return {"major": f"{x + 1}.0.0", "minor": f"{x}.{y + 1}.0", "patch": f"{x}.{y}.{z + 1}"}.get(bump)


@dataclass(frozen=True)
class Verdict:
    """The exit status (0 pass, 1 fail) and the one line that says why."""

    exit_code: int
    line: str


def verdict(changes: list[Change], old_version: str, new_version: str, *, accepted: int = 0) -> Verdict:
    """Pass unless there is a breaking change and info.version's major part was not raised.

    `accepted` counts the findings the accepted-changes file set aside (:mod:`tools.breaking.accepted`);
    they are named in the summary but judged no further.
    """
    found = findings(changes)
    counts = {s: sum(1 for f in found if f.severity is s) for s in Severity}
    summary = ", ".join(f"{counts[s]} {s.label}" for s in Severity) + (f", {accepted} accepted" if accepted else "")
    versions = f"info.version {old_version} -> {new_version}"
    old_major, new_major = major(old_version), major(new_version)
    raised = old_major is not None and new_major is not None and new_major > old_major
    if not found and not accepted:
        return Verdict(0, f"PASS: no changes ({versions})")
    if counts[BREAKING] and not raised:
        return Verdict(1, f"FAIL: {summary}; {versions}: undo the breaking changes or raise the major version")
    if counts[BREAKING]:
        return Verdict(0, f"PASS: {summary}; the breaking changes come with a major bump ({versions})")
    return Verdict(0, f"PASS: {summary} ({versions})")
