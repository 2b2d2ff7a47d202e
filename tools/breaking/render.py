"""The terminal report: findings by class, the bump they call for, and the verdict line."""

from __future__ import annotations

import textwrap

from tools.breaking.model import Change, Severity
from tools.breaking.verdict import bumped, findings, suggested_bump, verdict


def render(changes: list[Change], old_version: str, new_version: str, title: str) -> tuple[str, int]:
    """The terminal report, ending with the one-line verdict, and the exit code.

    Findings are grouped by class, the most serious first; each shows its rule, the JSON pointer of the
    changed node (`(in BASE)` when it was removed), why it has its class, and every operation + field it
    affects. Plain text (no colour), wrapped at 110 columns except the pointer and verdict lines.
    """
    lines = [title, ""]
    found = findings(changes)
    for severity in Severity:
        group = [f for f in found if f.severity is severity]
        if not group:
            continue
        lines.append(f"{severity.label.upper()} ({len(group)})")
        for finding in group:
            lines.append(f"  [{finding.rule}] {finding.pointer}{' (in BASE)' if finding.in_base else ''}")
            lines.extend(textwrap.wrap(finding.message, width=110, initial_indent=" " * 6, subsequent_indent=" " * 8))
            lines.extend(f"      at {where}" for where in finding.wheres)
        lines.append("")
    bump = suggested_bump(changes)
    if bump != "none":
        target = bumped(old_version, bump)
        wanted = f"at least {target}" if target else f"a {bump} bump"
        lines.append(
            f"These changes call for a {bump} bump of info.version: {old_version} at BASE -> {wanted}"
            f" (the working tree has {new_version})."
        )
    result = verdict(changes, old_version, new_version)
    lines.append(result.line)
    return "\n".join(lines) + "\n", result.exit_code
