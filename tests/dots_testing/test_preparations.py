"""Preparations: registered, used, and the unused ones named; the seam every control of the kit uses."""

from __future__ import annotations

import pytest

from dots_testing.kit import TestSandbox
from dots_testing.preparations import Preparations


def test_check_names_the_unused_and_forgets_all() -> None:
    """check() fails naming what was neither used nor optional, and after it nothing is left to check."""
    made = Preparations()
    made.add("fail_next('confirm_payment_intent', 'refuse')")
    made.add("respond_with(500)").use()
    made.add("disturb_webhooks('duplicate')", optional=True)
    with pytest.raises(AssertionError, match=r"1 preparation\(s\)") as raised:
        made.check()
    assert "fail_next('confirm_payment_intent', 'refuse')" in str(raised.value)
    assert "respond_with" not in str(raised.value)
    assert "disturb_webhooks" not in str(raised.value)
    made.check()  # forgotten: nothing to fail on


def test_a_used_preparation_passes(dots_sandbox: TestSandbox) -> None:
    """A control's preparation made through TestSandbox.prepare and used leaves nothing unused."""
    preparation = dots_sandbox.prepare("a control of kitb's")
    assert [each.description for each in dots_sandbox.preparations.unused()] == ["a control of kitb's"]
    preparation.use()
    assert dots_sandbox.preparations.unused() == []
