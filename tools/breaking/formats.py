"""The gate's report in the formats CI reads: `python -m tools.breaking --format F`.

- `text`: the terminal report of :mod:`tools.breaking.render`, byte for byte (the verdict line last);
- `json`: one object: `findings` (each with `class`, `rule`, `pointer`, `in_base`, `message` and the
  `operations` it reaches), the `bump` the changes call for, the versions and the `verdict`;
- `markdown`: for a pull-request comment, the most severe class first, the bump and verdict lines last;
- `github`: one workflow command per finding (`::error` for breaking, `::warning` for possibly breaking,
  `::notice` otherwise; https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions),
  each with `file=` the spec and `line=` the line of the changed node (of its nearest ancestor still in the
  spec when it was removed), then one per Python API change (`::warning` when it breaks users' code, else
  `::notice`; no file), then the verdict line;
- `junit`: a JUnit XML test suite with one test case per finding and one for the verdict (so it never reports
  zero tests), failed exactly when the gate fails.

Changes an accepted-changes entry set aside, and entries that match no change, are listed in every format (JSON
`accepted` and `unmatched_accepted`; a `::notice` and a `::warning`; JUnit cases that never fail), and the
verdict line counts the accepted ones as the text report's does.

The exit status is the gate's in every format. The `json` and `junit` documents carry the verdict inside and
their verdict line goes to stderr, so stdout stays one parseable document; the others end with it on stdout.
When the Python API diff ran (`--api`, :mod:`tools.api_diff`), its changes are listed too (section
`PYTHON API`, JSON `api`), and `bump` is the larger of the spec's and the API's; they never change the exit
status or the verdict line.
"""

from __future__ import annotations

import functools
import json
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import yaml

from dots_spec.refs import unescape
from tools.api_diff import ApiChange
from tools.api_diff import bump as api_bump
from tools.breaking.accepted import Entry
from tools.breaking.model import BREAKING, Change, Severity
from tools.breaking.render import render
from tools.breaking.verdict import Finding, findings, suggested_bump, verdict

FORMATS = ("text", "json", "markdown", "github", "junit")
BUMP_ORDER = ("none", "patch", "minor", "major")
# The workflow command per class.
ANNOTATIONS = {
    Severity.BREAKING: "error",
    Severity.POSSIBLY_BREAKING: "warning",
    Severity.NON_BREAKING: "notice",
}


def larger_bump(*bumps: str) -> str:
    """The largest of `bumps` (none < patch < minor < major)."""
    return max(bumps, key=BUMP_ORDER.index, default="none")


@dataclass(frozen=True)
class Report:
    """What one gate run found, ready to render in any format.

    `spec_name` is the changed spec's path as annotations name it (`openapi.yaml`), `spec_text` its text (for
    line numbers); `api` the Python API changes, None when the API diff did not run; `accepted` the changes an
    accepted-changes entry set aside (with the entry) and `unmatched` the entries that matched no change.
    """

    changes: list[Change]
    old_version: str
    new_version: str
    title: str
    spec_name: str = "openapi.yaml"
    spec_text: str = ""
    api: list[ApiChange] | None = None
    accepted: list[tuple[Change, Entry]] = field(default_factory=list)
    unmatched: list[Entry] = field(default_factory=list)
    found: list[Finding] = field(init=False)
    set_aside: list[tuple[Finding, Entry]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "found", findings(self.changes))
        reasons = {(change.rule, change.pointer): entry for change, entry in self.accepted}
        set_aside = [(f, reasons[(f.rule, f.pointer)]) for f in findings([change for change, _ in self.accepted])]
        object.__setattr__(self, "set_aside", set_aside)

    @property
    def bump(self) -> str:
        """The bump the changes call for: the spec's, or the API's when that is larger."""
        spec = suggested_bump(self.changes)
        return spec if self.api is None else larger_bump(spec, api_bump(self.api))


@dataclass(frozen=True)
class Output:
    """What to print: `stdout`, an optional line for stderr, and the exit status (the gate's)."""

    stdout: str
    stderr: str | None
    exit_code: int


def render_as(name: str, report: Report) -> Output:
    """`report` in the format `name` (one of FORMATS). Raises ValueError for another name."""
    text, code = render(
        report.changes, report.old_version, report.new_version, report.title,
        accepted=report.accepted, unmatched=report.unmatched,
    )  # fmt: skip
    line = verdict(report.changes, report.old_version, report.new_version, accepted=len(report.set_aside)).line
    if name == "text":
        return Output(_with_api_section(text, report.api), None, code)
    if name == "json":
        return Output(json.dumps(as_json(report, code, line), indent=2) + "\n", line, code)
    if name == "markdown":
        return Output(as_markdown(report, text, line), None, code)
    if name == "github":
        return Output(as_github(report, line), None, code)
    if name == "junit":
        return Output(as_junit(report, code, line), line, code)
    raise ValueError(f"unknown format {name!r}: one of {', '.join(FORMATS)}")


def _bump_line(text: str) -> str | None:
    return next((line for line in text.splitlines() if line.startswith("These changes call for")), None)


def _api_lines(api: list[ApiChange]) -> list[str]:
    lines = [f"PYTHON API of dots_client ({len(api)})"] if api else ["PYTHON API of dots_client: no changes"]
    for change in api:
        label = "breaking" if change.major else "changed"
        text = f"[{label}] {change.message}"
        lines.extend(textwrap.wrap(text, width=110, initial_indent="  ", subsequent_indent="      "))
    if api:
        lines.append(f"The Python API calls for a {api_bump(api)} bump (the gate's exit status is the spec's alone).")
    return lines


def _with_api_section(text: str, api: list[ApiChange] | None) -> str:
    """The text report, with the API section before the bump and verdict lines when the API diff ran."""
    if api is None:
        return text
    lines = text.rstrip("\n").split("\n")
    tail = 2 if _bump_line(text) else 1
    return "\n".join([*lines[:-tail], *_api_lines(api), "", *lines[-tail:]]) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "class": finding.severity.label,
        "rule": finding.rule,
        "pointer": finding.pointer,
        "in_base": finding.in_base,
        "message": finding.message,
        "operations": list(finding.wheres),
    }


def as_json(report: Report, exit_code: int, line: str) -> dict[str, Any]:
    """The JSON document: findings (most serious first), bump, versions, verdict, and `api` when it ran."""
    document: dict[str, Any] = {
        "title": report.title,
        "base_version": report.old_version,
        "version": report.new_version,
        "bump": report.bump,
        "findings": [_finding_json(finding) for finding in report.found],
        "accepted": [{**_finding_json(finding), "why": entry.why} for finding, entry in report.set_aside],
        "unmatched_accepted": [
            {"rule": entry.rule, "pointer": entry.pointer, "why": entry.why} for entry in report.unmatched
        ],
        "verdict": {"exit_code": exit_code, "line": line},
    }
    if report.api is not None:
        document["api"] = [
            {"class": "breaking" if c.major else "changed", "kind": c.kind, "path": c.path, "message": c.message}
            for c in report.api
        ]
    return document


def as_markdown(report: Report, text: str, line: str) -> str:
    """A pull-request comment: a heading, each class's findings (most severe first), the bump and verdict last."""
    out = [f"### {report.title}", ""]
    for severity in Severity:
        group = [f for f in report.found if f.severity is severity]
        if not group:
            continue
        out += [f"#### {severity.label.capitalize()} ({len(group)})", ""]
        for finding in group:
            removed = " (in BASE)" if finding.in_base else ""
            out.append(f"- **`{finding.rule}`** `{finding.pointer}`{removed}: {_md(finding.message)}")
            out.extend(f"  - at `{where}`" for where in finding.wheres)
        out.append("")
    if report.set_aside:
        out += [f"#### Accepted ({len(report.set_aside)})", ""]
        for finding, entry in report.set_aside:
            out.append(
                f"- **`{finding.rule}`** `{finding.pointer}`: {finding.severity.label}, accepted: {_md(entry.why)}"
            )
        out.append("")
    if report.unmatched:
        out += [f"#### Unmatched accepted entries ({len(report.unmatched)})", ""]
        out += [
            f"- **`{e.rule}`** `{e.pointer}`: {_md(e.origin)} matches no change: remove it" for e in report.unmatched
        ]
        out.append("")
    if report.api is not None:
        out += [f"#### Python API of dots_client ({len(report.api)})", ""]
        out += [f"- {'**Breaking:** ' if c.major else ''}{_md(c.message)}" for c in report.api] or ["- no changes"]
        if report.api:
            out += [
                "",
                f"The Python API calls for a {api_bump(report.api)} bump (the gate's exit status is the spec's alone).",
            ]
        out.append("")
    bump = _bump_line(text)
    if bump:
        out += [_md(bump), ""]
    out.append(f"`{line}`")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown list item: no HTML, no line breaks."""
    return " ".join(text.replace("<", "&lt;").split())


def as_github(report: Report, line: str) -> str:
    """One workflow annotation per finding (with the spec's line), then the verdict line."""
    out = []
    for finding in report.found:
        command = ANNOTATIONS[finding.severity]
        number = line_of(report.spec_text, finding.pointer)
        properties = (
            f"file={_property(report.spec_name)},line={number},"
            f"title={_property(f'{finding.severity.label}: {finding.rule}')}"
        )
        message = f"{finding.pointer}{' (in BASE)' if finding.in_base else ''}: {finding.message}"
        if finding.wheres:
            message += "\nat " + "\nat ".join(finding.wheres)
        out.append(f"::{command} {properties}::{_data(message)}")
    for finding, entry in report.set_aside:
        # Set aside by a reviewed entry: a notice, so the pull request still shows what was accepted and why.
        number = line_of(report.spec_text, finding.pointer)
        properties = f"file={_property(report.spec_name)},line={number},title={_property(f'accepted: {finding.rule}')}"
        out.append(
            f"::notice {properties}::{_data(f'{finding.pointer}: {finding.severity.label}, accepted: {entry.why}')}"
        )
    for entry in report.unmatched:
        title = _property(f"unmatched accepted entry: {entry.rule}")
        out.append(f"::warning title={title}::{_data(f'{entry.pointer}: {entry.origin} matches no change: remove it')}")
    for change in report.api or []:
        # Not a finding of the gate (no line of the spec): a warning for what breaks users' code, else a notice.
        title = _property(f"Python API of dots_client: {'breaking' if change.major else 'changed'}")
        out.append(f"::{'warning' if change.major else 'notice'} title={title}::{_data(change.message)}")
    out.append(line)
    return "\n".join(out) + "\n"


def _data(text: str) -> str:
    # GitHub's escaping of a workflow command's message (toolkit's `escapeData`).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    # ... and of its properties (`escapeProperty`): `:` and `,` would end them.
    return _data(text).replace(":", "%3A").replace(",", "%2C")


@functools.lru_cache(maxsize=4)
def _composed(spec_text: str) -> yaml.Node | None:
    """The YAML node tree of `spec_text` (with line marks), composed once per text; None when it is not YAML."""
    try:
        return yaml.compose(spec_text)
    except yaml.YAMLError:
        return None


def line_of(spec_text: str, pointer: str) -> int:
    """The 1-based line of the node at the JSON `pointer` (`#/a/b`) in `spec_text`, or of its nearest ancestor.

    A mapping entry's line is its key's. 1 when the text cannot be read as YAML.
    """
    node = _composed(spec_text)
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for token in [unescape(part) for part in pointer.removeprefix("#").split("/")[1:]]:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == token:
                    line, child = key.start_mark.line + 1, value
                    break
        elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
            child = node.value[int(token)]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def as_junit(report: Report, exit_code: int, line: str) -> str:
    """A JUnit XML suite: a case per finding (breaking ones fail when the gate fails), API changes, the verdict."""
    suite = ET.Element("testsuite", name="check-breaking")
    failing = exit_code != 0
    failures = 0
    for finding in report.found:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"check-breaking.{finding.severity.label.replace(' ', '-')}",
            name=f"[{finding.rule}] {finding.pointer}",
        )
        detail = finding.message + "".join(f"\nat {where}" for where in finding.wheres)
        if failing and finding.severity is BREAKING:
            failures += 1
            ET.SubElement(case, "failure", message=finding.message).text = detail
        else:
            ET.SubElement(case, "system-out").text = detail
    for finding, entry in report.set_aside:
        case = ET.SubElement(
            suite, "testcase", classname="check-breaking.accepted", name=f"[{finding.rule}] {finding.pointer}"
        )
        ET.SubElement(case, "system-out").text = f"{finding.severity.label}, accepted: {entry.why}"
    for entry in report.unmatched:
        case = ET.SubElement(
            suite, "testcase", classname="check-breaking.unmatched-accepted", name=f"[{entry.rule}] {entry.pointer}"
        )
        ET.SubElement(case, "system-out").text = f"{entry.origin} matches no change: remove it"
    for change in report.api or []:
        case = ET.SubElement(suite, "testcase", classname="check-breaking.python-api", name=change.path)
        ET.SubElement(case, "system-out").text = change.message
    case = ET.SubElement(suite, "testcase", classname="check-breaking", name="verdict")
    if failing:
        failures += 1
        ET.SubElement(case, "failure", message=line).text = line
    else:
        ET.SubElement(case, "system-out").text = line
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
