"""tools/breaking/formats.py and `--format`: the gate's report as JSON, Markdown, GitHub annotations and JUnit."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import (
    CONFIRM,
    CREATE_PROPS,
    CREATE_REQ,
    INTENT_PROPS,
    ROOT,
    STATUS,
    append,
    discard,
    edited_spec,
    put,
)
from tools.api_diff import ApiChange
from tools.breaking.accepted import ACCEPTED_NAME
from tools.breaking.cli import main
from tools.breaking.compare import compare
from tools.breaking.formats import Report, line_of, render_as
from tools.breaking.render import render
from tools.breaking.verdict import findings

# One edit of each class: a required create field (breaking), an operationId renamed (possibly), a response field added.
EDITS = [
    put((*CREATE_PROPS, "reference"), {"type": "string"}),
    append((*CREATE_REQ, "required"), "reference"),
    put((*CONFIRM, "operationId"), "confirm_intent"),
    put((*INTENT_PROPS, "captured_at"), {"type": "string"}),
]


@pytest.fixture(scope="module")
def report() -> Report:
    """The report of the three edits (one per class), with the new spec's text for line numbers."""
    new = edited_spec(EDITS)
    text = yaml.safe_dump(new, sort_keys=False)
    changes = compare(load_spec(), new)
    return Report(
        changes, "1.3.0", "1.3.0", "check-breaking: openapi.yaml against HEAD:openapi.yaml", "openapi.yaml", text
    )


def test_the_edits_give_every_class(report: Report) -> None:
    """The fixture's findings hold a breaking, a possibly breaking and a non-breaking one (so the tests below bite)."""
    assert {f.severity.label for f in report.found} == {"breaking", "possibly breaking", "non-breaking"}


def test_text_is_the_terminal_report_unchanged(report: Report) -> None:
    """`text` is render()'s report byte for byte, with its exit status."""
    expected, code = render(report.changes, "1.3.0", "1.3.0", report.title)
    output = render_as("text", report)
    assert (output.stdout, output.exit_code, output.stderr) == (expected, code, None)


def test_json_lists_every_finding(report: Report) -> None:
    """The JSON parses and has one entry per finding with class, rule, pointer, message, operations; and the bump."""
    output = render_as("json", report)
    document = json.loads(output.stdout)
    expected = [(f.severity.label, f.rule, f.pointer, f.message, list(f.wheres)) for f in findings(report.changes)]
    got = [(f["class"], f["rule"], f["pointer"], f["message"], f["operations"]) for f in document["findings"]]
    assert got == expected
    assert document["bump"] == "major"
    assert document["verdict"]["exit_code"] == output.exit_code == 1
    assert output.stderr == document["verdict"]["line"]  # the verdict line still shows, on stderr


def test_github_has_one_annotation_per_finding_with_its_line(report: Report) -> None:
    """One `::error`/`::warning`/`::notice` per finding, at the line of the changed node, the verdict line last."""
    out = render_as("github", report).stdout.splitlines()
    annotations = out[:-1]
    assert out[-1].startswith("FAIL: 1 breaking")
    assert len(annotations) == len(report.found)
    lines = yaml.safe_dump(edited_spec(EDITS), sort_keys=False).splitlines()
    for annotation, finding in zip(annotations, report.found, strict=True):
        command = {"breaking": "error", "possibly breaking": "warning", "non-breaking": "notice"}[
            finding.severity.label
        ]
        found = re.match(rf"::{command} file=openapi\.yaml,line=(\d+),title=[^:]+::", annotation)
        assert found, annotation
        key = finding.pointer.rsplit("/", 1)[-1]
        assert lines[int(found.group(1)) - 1].strip().startswith(f"{key}:"), (finding.pointer, found.group(1))
        assert "\n" not in annotation


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    """A pointer to a node not in the spec (removed) gets its nearest existing ancestor's line."""
    text = "a:\n  b:\n    c: 1\n  d: 2\n"
    assert (line_of(text, "#/a/b/c"), line_of(text, "#/a/d"), line_of(text, "#/a/b/gone")) == (3, 4, 2)


def test_markdown_puts_the_most_severe_first_and_the_verdict_last(report: Report) -> None:
    """Headings per class in order breaking, possibly, non-breaking; each finding a list item; the verdict last."""
    out = render_as("markdown", report).stdout
    headings = re.findall(r"^#### (.+) \(\d+\)$", out, re.MULTILINE)
    assert headings == ["Breaking", "Possibly breaking", "Non-breaking"]
    assert out.count("\n- **`") == len(report.found)
    assert out.rstrip().splitlines()[-1].startswith("`FAIL: 1 breaking")


def test_junit_fails_breaking_findings_and_the_verdict_when_the_gate_fails(report: Report) -> None:
    """A case per finding plus the verdict's; the breaking one and the verdict fail (the gate exits 1)."""
    suite = ET.fromstring(render_as("junit", report).stdout)  # noqa: S314 (our own report)
    cases = suite.findall("testcase")
    assert len(cases) == len(report.found) + 1 == int(suite.get("tests", "0"))
    failed = [case.get("name") for case in cases if case.find("failure") is not None]
    breaking = [f"[{f.rule}] {f.pointer}" for f in report.found if f.severity.label == "breaking"]
    assert failed == [*breaking, "verdict"]
    assert suite.get("failures") == str(len(failed))


def test_junit_of_no_change_still_has_the_verdict_case() -> None:
    """Zero findings is one passing test case, never a suite of zero tests."""
    suite = ET.fromstring(render_as("junit", Report([], "1.3.0", "1.3.0", "t")).stdout)  # noqa: S314 (ours)
    assert suite.get("tests") == "1"
    assert suite.find("testcase/failure") is None


def test_api_changes_are_listed_and_raise_the_bump_not_the_exit(report: Report) -> None:
    """With the API diff, its changes appear in every format and the bump is the larger; the exit status stays."""
    removed = ApiChange(True, "object-removed", "dots_client.api.create", "`api.create`: public object was removed")
    quiet = Report([], "1.3.0", "1.3.0", "t", api=[removed])
    document = json.loads(render_as("json", quiet).stdout)
    assert (document["bump"], document["api"][0]["path"]) == ("major", "dots_client.api.create")
    github = render_as("github", quiet).stdout.splitlines()
    assert github[0] == "::warning title=Python API of dots_client%3A breaking::`api.create`: public object was removed"
    assert len(github) == 2
    text = render_as("text", quiet)
    assert "[breaking] `api.create`: public object was removed" in text.stdout
    assert text.stdout.splitlines()[-1].startswith("PASS: no changes")
    assert text.exit_code == 0


def test_format_option_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` on two files prints the JSON document on stdout and exits as the gate does."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    new.write_text(yaml.safe_dump(edited_spec(EDITS), sort_keys=False), encoding="utf-8")
    code = main(["--base-file", str(old), "--spec", str(new), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    assert len(json.loads(captured.out)["findings"]) == 3
    assert captured.err.startswith("FAIL: 1 breaking")


def test_api_option_refuses_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--api` diffs this project's client: with --base-file it is refused in one line, exit 2."""
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    assert main(["--base-file", str(old), "--api"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_api_option_adds_the_python_api_section_before_the_verdict(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--api --base HEAD` lists the API's changes before the verdict line, which stays last; the exit is the gate's."""
    import contextlib

    from tools import api_diff

    # Reading git and regenerating are tested with `make release` (tests/tools/test_release.py, test_api_diff.py):
    # here both sides are this checkout's generated/, BASE's with one enum member more.
    removed = ApiChange(True, "object-removed", "dots_client.models.S.X", "`models.S.X`: public object was removed")
    asked: list[str] = []
    monkeypatch.setattr(api_diff, "load_at", lambda _repo, ref: asked.append(ref))
    monkeypatch.setattr(api_diff, "regenerated", lambda *_: contextlib.nullcontext(ROOT / "generated"))
    monkeypatch.setattr(api_diff, "load_from", lambda _folder: None)
    monkeypatch.setattr(api_diff, "diff", lambda _old, _new: [removed])
    code = main(["--base", "HEAD", "--api"])
    out = capsys.readouterr().out.splitlines()
    assert asked == ["HEAD"]
    section = out.index("PYTHON API of dots_client (1)")
    assert out[section + 1] == "  [breaking] `models.S.X`: public object was removed"
    assert section < len(out) - 2
    assert out[-1].startswith(("PASS:", "FAIL:"))
    assert code == (1 if out[-1].startswith("FAIL:") else 0)


@pytest.mark.parametrize("fmt", ["json", "markdown", "github", "junit"])
def test_every_format_reports_accepted_changes_and_stale_entries(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With an accepted-changes file, each format names the accepted change (and why) and the entry that matches
    nothing, and its verdict line is the text report's."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(load_spec(), sort_keys=False), encoding="utf-8")
    new.write_text(yaml.safe_dump(edited_spec([discard((*STATUS, "enum"), "requires_capture")]), sort_keys=False))
    (tmp_path / ACCEPTED_NAME).write_text(
        "accepted:\n"
        "  - rule: response-enum-value-removed\n    pointer: '#/components/schemas/PaymentIntentStatus/enum'\n"
        "    why: never sent by any deployed server\n"
        "  - rule: operation-removed\n    pointer: '#/paths/~1v2~1gone/get'\n    why: was removed last release\n",
        encoding="utf-8",
    )
    files = ["--base-file", str(old), "--spec", str(new)]
    assert main([*files, "--format", "text"]) == 0
    verdict_line = capsys.readouterr().out.splitlines()[-1]
    assert main([*files, "--format", fmt]) == 0
    captured = capsys.readouterr()
    version = load_spec()["info"]["version"]
    assert verdict_line.endswith(f", 1 accepted (info.version {version} -> {version})")
    assert verdict_line in captured.out + captured.err
    assert "never sent by any deployed server" in captured.out
    assert "#/paths/~1v2~1gone/get" in captured.out
    if fmt == "json":
        document = json.loads(captured.out)
        assert [(a["rule"], a["why"]) for a in document["accepted"]] == [
            ("response-enum-value-removed", "never sent by any deployed server")
        ]
        assert [u["pointer"] for u in document["unmatched_accepted"]] == ["#/paths/~1v2~1gone/get"]
