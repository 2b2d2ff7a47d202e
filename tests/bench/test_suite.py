"""bench/suite.py: reading the contract suite's case counts."""

from __future__ import annotations

import pytest

from bench.suite import per_operation


def test_case_counts_are_readper_operation() -> None:
    """The summary line's counts are parsed per operation label."""
    line = (
        "schemathesis cases per operation: GET /v2/payment-intents/{payment_intent_id} 1019, "
        "POST /v2/payment-intents 1142, stateful steps 342\n"
    )
    assert per_operation("noise\n" + line) == {
        "GET /v2/payment-intents/{payment_intent_id}": 1019,
        "POST /v2/payment-intents": 1142,
        "stateful steps": 342,
    }


def test_missing_summary_is_an_error() -> None:
    """Without the suite's summary there is nothing to measure."""
    with pytest.raises(RuntimeError, match="no case counts"):
        per_operation("1 failed")
