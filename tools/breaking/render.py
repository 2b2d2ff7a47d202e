"""The terminal report: findings by class, the bump they call for, and the verdict line."""

from __future__ import annotations

import textwrap

from tools.breaking.accepted import Entry
from tools.breaking.model import Change, Severity
from tools.breaking.verdict import Finding, bumped, findings, suggested_bump, verdict


def render(
    changes: list[Change],
    old_version: str,
    new_version: str,
    title: str,
    *,
    accepted: list[tuple[Change, Entry]] | None = None,
    unmatched: list[Entry] | None = None,
) -> tuple[str, int]:
    """The terminal report, ending with the one-line verdict, and the exit code.

    Findings are grouped by class, the most serious first; each shows its rule, the JSON pointer of the
    changed node (`(in BASE)` when it was removed), why it has its class, and every operation + field it
    affects. Changes an accepted-changes entry set aside (`accepted`, with the entry) follow under ACCEPTED
    with the entry's reason, and entries that matched nothing (`unmatched`) under UNMATCHED ACCEPTED
    ENTRIES. Plain text (no colour), wrapped at 110 columns except the pointer and verdict lines.
    """
    lines = [title, ""]
    found = findings(changes)
    for severity in Severity:
        group = [f for f in found if f.severity is severity]
        if group:
            lines.append(f"{severity.label.upper()} ({len(group)})")
            lines.extend(line for finding in group for line in _finding(finding, finding.message))
            lines.append("")
    reasons = {(change.rule, change.pointer): entry for change, entry in accepted or []}
    set_aside = findings([change for change, _ in accepted or []])
    if set_aside:
        lines.append(f"ACCEPTED ({len(set_aside)})")
        for finding in set_aside:
            entry = reasons[(finding.rule, finding.pointer)]
            why = f"{finding.severity.label}, accepted ({entry.origin}): {entry.why}"
            lines.extend(_finding(finding, why))
        lines.append("")
    if unmatched:
        lines.append(f"UNMATCHED ACCEPTED ENTRIES ({len(unmatched)})")
        for entry in unmatched:
            lines.append(f"  [{entry.rule}] {entry.pointer}")
            lines.append(f"      {entry.origin} matches no change: remove it")
        lines.append("")
    bump = suggested_bump(changes)
    if bump != "none":
        target = bumped(old_version, bump)
        wanted = f"at least {target}" if target else f"a {bump} bump"
        lines.append(
            f"These changes call for a {bump} bump of info.version: {old_version} at BASE -> {wanted}"
            f" (the working tree has {new_version})."
        )
    result = verdict(changes, old_version, new_version, accepted=len(set_aside))
    lines.append(result.line)
    return "\n".join(lines) + "\n", result.exit_code


def _finding(finding: Finding, message: str) -> list[str]:
    """One finding's lines: `[rule] #/pointer`, the wrapped message, one `at ...` line per place."""
    lines = [f"  [{finding.rule}] {finding.pointer}{' (in BASE)' if finding.in_base else ''}"]
    lines.extend(textwrap.wrap(message, width=110, initial_indent=" " * 6, subsequent_indent=" " * 8))
    lines.extend(f"      at {where}" for where in finding.wheres)
    return lines
