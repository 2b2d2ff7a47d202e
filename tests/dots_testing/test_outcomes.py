"""`@pytest.mark.dots_outcomes`: the items it makes, as docs/testing.md's table lists them, and the payments check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dots_client import Dots

from dots_testing import outcomes
from dots_testing.kit import TestSandbox

ROOT = Path(__file__).resolve().parents[2]
TABLE = re.compile(r"<!-- outcome-table: .*? -->\n\|.*?\|\n\|[-|]+\|\n((?:\|.*\|\n)+)")


def test_the_docs_table_lists_every_item() -> None:
    """Each row of the table is an item of the marker, with its payment method and statuses, in the same order."""
    found = TABLE.search((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    assert found, "docs/testing.md lost its table of outcomes"
    rows = []
    for line in found.group(1).splitlines():
        item, method, first, final = (cell.strip() for cell in line.strip("|").split("|")[:4])
        rows.append((item.split("`")[1], method.strip("`"), first.strip("`"), final.strip("`")))
    expected = [
        (case.id, "..." + case.payment_method_id[-4:], case.first_status, case.final_status)
        for case in outcomes.cases({"faults": True})
    ]
    assert rows == expected


def test_the_marker_makes_six_items_and_ten_with_faults() -> None:
    """Six outcomes of a confirm; faults=True adds one item per fault on the first confirm."""
    assert [case.id for case in outcomes.cases({})] == [
        "succeeded",
        "failed",
        "processing-succeeded",
        "processing-failed",
        "requires_action-succeeded",
        "requires_action-failed",
    ]
    assert len(outcomes.cases({"faults": True})) == 10
    assert all(case.fault is not None for case in outcomes.cases({"faults": True})[6:])


@pytest.mark.parametrize("kwargs", [{"fault": True}, {"payments": -1}, {"payments": True}])
def test_the_marker_refuses_what_it_does_not_take(kwargs: dict[str, object]) -> None:
    """A misspelt argument or a payments= that is not a whole number >= 0 is a ValueError, not ignored."""
    with pytest.raises(ValueError, match="dots_outcomes"):
        outcomes.cases(kwargs)


def test_two_payments_fail_the_check_naming_the_intents(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """Two confirmed intents are more than payments=1 (the message names both); a declined one does not count."""
    paid = [dots.payment_intents.create(amount=1000, currency="usd") for _ in range(2)]
    for intent in paid:
        dots.payment_intents.confirm(intent.id, payment_method_id=outcomes.SETTLES_SUCCEEDED)
    declined = dots.payment_intents.create(amount=1000, currency="usd")
    dots.payment_intents.confirm(declined.id, payment_method_id=outcomes.DECLINE)
    outcomes.check_payments(dots_sandbox, 2)
    with pytest.raises(AssertionError, match="2 payments were confirmed") as raised:
        outcomes.check_payments(dots_sandbox, 1)
    assert all(str(intent.id) in str(raised.value) for intent in paid)
    assert str(declined.id) not in str(raised.value)
