"""tools/breaking/render.py: the terminal report."""

from __future__ import annotations

from dots_spec.document import load_spec
from tests.tools.breaking.catalogue import (
    CONFIRM,
    CONFIRM_PATH,
    CREATE_PATH,
    INTENT_PROPS,
    SCHEMAS,
    append,
    drop,
    edited_spec,
    put,
)
from tools.breaking.compare import compare
from tools.breaking.render import render


def test_output_groups_by_class_and_ends_with_verdict() -> None:
    """The report lists breaking, then possibly breaking, then non-breaking, and ends with one verdict line."""
    edits = [
        append((*SCHEMAS, "Currency", "enum"), "eur"),
        drop((*CONFIRM, "responses", "404")),
        put((*INTENT_PROPS, "amount", "description"), "Cents."),
    ]
    report, code = render(compare(load_spec(), edited_spec(edits)), "1.0.0", "1.0.0", "title")
    lines = report.splitlines()
    assert code == 1
    assert lines[0] == "title"
    headings = [line for line in lines if line and not line.startswith(" ")][1:-2]
    assert headings == ["BREAKING (1)", "POSSIBLY BREAKING (1)", "NON-BREAKING (2)"]
    assert "  [response-enum-value-added] #/components/schemas/Currency/enum" in lines
    removed = f"#/paths/{CONFIRM_PATH.replace('/', '~1')}/post/responses/404"
    assert f"  [response-status-removed] {removed} (in BASE)" in lines
    assert f"      at POST {CREATE_PATH} request body.currency" in lines
    assert lines[-2] == (
        "These changes call for a major bump of info.version: 1.0.0 at BASE -> at least 2.0.0"
        " (the working tree has 1.0.0)."
    )
    assert lines[-1] == (
        "FAIL: 1 breaking, 1 possibly breaking, 2 non-breaking; info.version 1.0.0 -> 1.0.0: "
        "undo the breaking changes or raise the major version"
    )
    assert all(len(line) <= 140 for line in lines[:-1])
