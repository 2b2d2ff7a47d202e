"""The pytest fixtures: a fresh state per test on one session server, and a plugin that loads nothing of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dots_client import AsyncDots, Dots

from dots_testing.kit import TestSandbox

ROOT = Path(__file__).resolve().parents[2]
CARD = "00000000-0000-4000-8000-000000000001"


def _create(sandbox: TestSandbox) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/v2/payment-intents",
        json={"amount": 1000, "currency": "usd"},
        auth=(sandbox.client_id, sandbox.api_key),
    )


def test_the_fixture_serves_the_api_on_a_real_port(dots_sandbox: TestSandbox) -> None:
    """base_url ends in /api on 127.0.0.1, and the credentials it names are accepted."""
    assert dots_sandbox.base_url.startswith("http://127.0.0.1:")
    assert dots_sandbox.base_url.endswith("/api")
    assert _create(dots_sandbox).status_code == 200


def test_each_test_sees_an_empty_state(dots_sandbox: TestSandbox) -> None:
    """After a reset (what the fixture does before each test) an intent made before it is gone."""
    intent_id = _create(dots_sandbox).json()["id"]
    dots_sandbox.reset()
    auth = (dots_sandbox.client_id, dots_sandbox.api_key)
    assert httpx.get(f"{dots_sandbox.base_url}/v2/payment-intents/{intent_id}", auth=auth).status_code == 404


def test_the_session_fixture_is_the_same_server(dots_sandbox: TestSandbox, dots_sandbox_session: TestSandbox) -> None:
    """dots_sandbox is the session's server, its state made fresh: one port for the whole session."""
    assert dots_sandbox is dots_sandbox_session


def test_loading_the_plugin_imports_nothing_of_ours() -> None:
    """A fresh interpreter that loads dots_testing.plugin has no dots_sandbox, dots_spec or dots_client module."""
    probe = (
        "import sys, dots_testing.plugin\n"
        "ours = {'dots_sandbox', 'dots_spec', 'dots_client'}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ours)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_dots_is_a_client_of_the_tests_sandbox(dots: Dots, dots_sandbox: TestSandbox) -> None:
    """The dots fixture pays through dots_sandbox, and a refused confirm is retried (at once)."""
    dots_sandbox.fail_next("confirm_payment_intent", "refuse", status=429, retry_after=1)
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    assert dots.payment_intents.confirm(intent.id, payment_method_id=CARD).status == "succeeded"
    assert [r.fault for r in dots_sandbox.requests("confirm_payment_intent")] == ["refuse", None]


@pytest.mark.anyio
async def test_async_dots_pays_on_the_tests_event_loop(async_dots: AsyncDots, dots_sandbox: TestSandbox) -> None:
    """async_dots, under anyio's plugin, pays through dots_sandbox on the loop the test runs on."""
    intent = await async_dots.payment_intents.create(amount=1000, currency="usd")
    assert (await async_dots.payment_intents.confirm(intent.id, payment_method_id=CARD)).status == "succeeded"
    assert [r.committed for r in dots_sandbox.requests("confirm_payment_intent")] == [True]


USER_TESTS = """
import pytest

CARD = "00000000-0000-4000-8000-000000000001"


def test_unused_fail_next(dots_sandbox):
    dots_sandbox.fail_next("confirm_payment_intent", "refuse")


def test_optional_fail_next(dots_sandbox):
    dots_sandbox.fail_next("confirm_payment_intent", "refuse", optional=True)


def test_used_fail_next(dots, dots_sandbox):
    dots_sandbox.fail_next("create_payment_intent", "refuse", status=503, retry_after=1)
    dots.payment_intents.create(amount=1000, currency="usd")


def test_unused_respond_with(dots_webhooks):
    dots_webhooks.respond_with(500)


def test_a_failing_test_is_not_blamed_twice(dots_sandbox):
    dots_sandbox.fail_next("confirm_payment_intent", "refuse")
    assert False, "the test's own failure"


@pytest.mark.dots_outcomes
def test_pay(dots, dots_outcome):
    intent = dots.payment_intents.create(amount=1000, currency="usd")
    confirmed = dots.payment_intents.confirm(intent.id, payment_method_id=dots_outcome.payment_method_id)
    assert confirmed.status == dots_outcome.first_status
    dots_outcome.finish()
    assert dots.payment_intents.retrieve(intent.id).status == dots_outcome.final_status


@pytest.mark.dots_outcomes
def test_pays_one_order_twice(dots, dots_outcome):
    for _ in range(2):
        intent = dots.payment_intents.create(amount=1000, currency="usd", metadata={"order_id": "o-1"})
        dots.payment_intents.confirm(intent.id, payment_method_id=dots_outcome.payment_method_id)
"""


def test_the_kit_fails_unused_preparations_and_double_payments(pytester: pytest.Pytester) -> None:
    """In a user's run: unused fail_next and respond_with fail at teardown, naming them (optional=True opts
    out); dots_outcomes makes 6 items, passes a correct handler, fails one that pays twice, naming the
    intents (the 10 items of faults=True run from the wheels: tests/dots_testing/test_installed.py)."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess("-p", "dots_testing.plugin", "-p", "no:cacheprovider", "-v", "--tb=short")
    outcomes = result.parseoutcomes()
    # 5 plain tests + 6 + 6 items: test_pays_one_order_twice errs at teardown on all but `failed`, and a
    # test that errs at teardown counts as passed too.
    assert (outcomes["passed"], outcomes["failed"], outcomes["errors"]) == (16, 1, 2 + 5)
    output = result.stdout.str()
    ids = {f"test_pay[{case}]" for case in ("succeeded", "failed", "processing-succeeded", "processing-failed")}
    ids |= {f"test_pay[{case}]" for case in ("requires_action-succeeded", "requires_action-failed")}
    assert all(f"{name} PASSED" in output for name in ids), output
    assert "ERROR at teardown of test_unused_fail_next" in output
    assert "fail_next('confirm_payment_intent', 'refuse')" in output
    assert "ERROR at teardown of test_unused_respond_with" in output
    assert "respond_with(500)" in output
    assert "ERROR at teardown of test_pays_one_order_twice[succeeded]" in output
    assert "ERROR at teardown of test_pays_one_order_twice[failed]" not in output
    assert "2 payments were confirmed, more than the 1" in output


SESSION_TESTS = """
from dots_client import Dots


def test_unused_on_the_session_sandbox(dots_sandbox_session):
    dots_sandbox_session.fail_next("create_payment_intent", "refuse", status=500)


def test_the_next_test_is_not_hit(dots_sandbox_session):
    s = dots_sandbox_session
    with Dots(client_id=s.client_id, api_key=s.api_key, base_url=s.base_url, max_retries=0) as dots:
        dots.payment_intents.create(amount=1000, currency="usd")


def test_unused_beside_a_receiver(dots_sandbox_session, dots_webhooks):
    dots_sandbox_session.fail_next("create_payment_intent", "refuse", status=500)
    dots_sandbox_session.disturb_webhooks("duplicate")


def test_nor_after_a_receiver(dots_sandbox_session):
    assert dots_sandbox_session.unused_disturbances() == []
    test_the_next_test_is_not_hit(dots_sandbox_session)
"""


def test_a_test_on_the_session_sandbox_alone_has_its_preparations_checked(pytester: pytest.Pytester) -> None:
    """A fail_next or disturbance left unused by a test of `dots_sandbox_session` (alone, or with `dots_webhooks`)
    fails it, and never hits the next test."""
    pytester.makepyfile(test_session=SESSION_TESTS)
    result = pytester.runpytest_inprocess("-p", "dots_testing.plugin", "-p", "no:cacheprovider", "-v", "--tb=short")
    outcomes = result.parseoutcomes()
    assert (outcomes["passed"], outcomes.get("failed", 0), outcomes["errors"]) == (4, 0, 2)
    output = result.stdout.str()
    assert "ERROR at teardown of test_unused_on_the_session_sandbox" in output
    assert "fail_next('create_payment_intent', 'refuse', status=500)" in output
    assert "test_the_next_test_is_not_hit PASSED" in output
    assert "ERROR at teardown of test_unused_beside_a_receiver" in output
    assert "disturb_webhooks('duplicate')" in output
    assert "test_nor_after_a_receiver PASSED" in output
