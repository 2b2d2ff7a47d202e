"""The suite's floor: the server contract's schemathesis cases against dots_sandbox.ceiling.

Same schema, configuration, seed and budget as contract_tests/test_server_contract.py, each case
sent and checked the same way; check failures (the constant app is wrong for most operations)
are counted instead of raised, so Hypothesis never shrinks and every case costs the same. Run by
bench/suite.py only (BENCH_FLOOR_URL, BENCH_FLOOR_COUNT, CONTRACT_PROFILE, CONTRACT_SEED).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests
from hypothesis import settings
from schemathesis import Case

from contract_tests import profiles, server_schema

BASE_URL = os.environ["BENCH_FLOOR_URL"]
BUDGET = profiles.selected(os.environ)
profiles.load(BUDGET)
SCHEMA = server_schema.new_schema(seed=int(os.environ["CONTRACT_SEED"]), auth=("floor", "floor"), base_url=BASE_URL)
SESSION = requests.Session()
counts = {"cases": 0, "failed_checks": 0}


@SCHEMA.parametrize()
@settings(max_examples=BUDGET.fuzz_examples)
def test_floor(case: Case[Any]) -> None:
    """Send and check one case (check failures counted, not raised)."""
    counts["cases"] += 1
    try:
        case.call_and_validate(base_url=BASE_URL, session=SESSION, timeout=30)
    except (Exception, BaseExceptionGroup):  # the constant app fails checks by design; only the cost matters
        counts["failed_checks"] += 1


def teardown_module() -> None:
    """Leave the case count where bench/suite.py reads it."""
    Path(os.environ["BENCH_FLOOR_COUNT"]).write_text(str(counts["cases"]), encoding="utf-8")
