"""`fail_next`'s faults: built by the sandbox's one constructor, and what the client makes of each (docs/testing.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from dots_client import Dots, errors

from dots_sandbox.request import faults as sandbox_faults
from dots_testing import faults
from dots_testing.kit import OperationId, TestSandbox

ROOT = Path(__file__).resolve().parents[2]
CARD = "00000000-0000-4000-8000-000000000001"
TABLE = re.compile(r"<!-- fault-table: .*? -->\n\|.*?\|\n\|[-|]+\|\n((?:\|.*\|\n)+)")
CELL = re.compile(r"(returns|`(\w+)`), (\d+) requests?")


def _rows() -> list[tuple[str, str, str, str]]:
    found = TABLE.search((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    assert found, "docs/testing.md lost its table of faults as the client sees them"
    rows = []
    for line in found.group(1).splitlines():
        call, create, confirm, confirm_once = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((call.strip("`"), create, confirm, confirm_once))
    return rows


def _fail_next_arguments(call: str) -> tuple[str, dict[str, Any]]:
    """`"refuse", status=503` -> ("refuse", {"status": 503}), read as Python call arguments."""
    parsed = ast.parse(f"f({call})", mode="eval").body
    assert isinstance(parsed, ast.Call)
    kind = ast.literal_eval(parsed.args[0])
    return kind, {keyword.arg or "": ast.literal_eval(keyword.value) for keyword in parsed.keywords}


def _seen(dots: Dots, sandbox: TestSandbox, operation: OperationId, fault: tuple[str, dict[str, Any]]) -> str:
    """What one call does with `fault` queued: "returns" or the exception's name, and the requests it sent."""
    intent = dots.with_options(max_retries=0).payment_intents.create(amount=1000, currency="usd")
    before = len(sandbox.requests(operation))
    sandbox.fail_next(operation, fault[0], **fault[1])  # type: ignore[call-overload]
    try:
        if operation == "create_payment_intent":
            dots.payment_intents.create(amount=1000, currency="usd")
        else:
            dots.payment_intents.confirm(intent.id, payment_method_id=CARD)
        what = "returns"
    except errors.DotsError as error:
        what = f"`{type(error).__name__}`"
    sent = len(sandbox.requests(operation)) - before
    return f"{what}, {sent} request{'s' if sent != 1 else ''}"


@pytest.mark.parametrize("row", _rows(), ids=[row[0] for row in _rows()])
def test_the_docs_table_is_what_the_client_does(dots: Dots, dots_sandbox: TestSandbox, row: tuple[str, ...]) -> None:
    """Each row of docs/testing.md's table: the create and the confirm, with and without retries, as the client ends."""
    fault = _fail_next_arguments(row[0])
    seen = [
        _seen(dots, dots_sandbox, "create_payment_intent", fault),
        _seen(dots, dots_sandbox, "confirm_payment_intent", fault),
        _seen(dots.with_options(max_retries=0), dots_sandbox, "confirm_payment_intent", fault),
    ]
    assert seen == list(row[1:])
    assert all(CELL.fullmatch(cell) for cell in seen)


def test_the_table_covers_every_fault() -> None:
    """The table has a row for each kind of fail_next, so no fault is left undocumented."""
    assert {_fail_next_arguments(row[0])[0] for row in _rows()} == set(faults.KINDS)


def test_fail_next_builds_with_the_sandboxs_constructor() -> None:
    """The kit's fault() is the sandbox's build() with the kit's own default (a gateway's 502), nothing re-parsed."""
    assert faults.fault("non-json", body="html") == sandbox_faults.build("non-json", status=502, body="html")
    assert faults.fault("refuse", retry_after=2) == sandbox_faults.Fault("refuse", 503, retry_after=2)
    assert faults.fault("lose-answer") is None
