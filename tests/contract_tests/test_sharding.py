"""CONTRACT_SHARD: disjoint shards whose union is the whole suite, balanced by recorded cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import profiles, sharding

REPO_ROOT = Path(__file__).resolve().parents[2]
COSTS = st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), max_size=60)


@pytest.mark.parametrize(("text", "expected"), [("1/2", (1, 2)), (" 3/3 ", (3, 3)), ("1/1", (1, 1))])
def test_parse_reads_index_and_count(text: str, expected: tuple[int, int]) -> None:
    """`i/n` parses to shard i of n."""
    shard = sharding.parse(text)
    assert shard is not None
    assert (shard.index, shard.count) == expected
    assert str(shard) == text.strip()


def test_parse_of_nothing_is_the_whole_suite() -> None:
    """An empty CONTRACT_SHARD means no sharding."""
    assert sharding.parse("") is None
    assert sharding.selected({}) is None


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", "1/2/3", "/2"])
def test_parse_rejects_malformed_shards(text: str) -> None:
    """Anything but i/n with 1 <= i <= n is refused with the expected form."""
    with pytest.raises(ValueError, match=r"CONTRACT_SHARD must be i/n"):
        sharding.parse(text)


@given(costs=COSTS, count=st.integers(1, 8))
def test_partition_is_disjoint_and_covers_everything(costs: list[float], count: int) -> None:
    """Every test lands in exactly one shard, each shard keeps collection order."""
    shards = sharding.partition(costs, count)
    assert len(shards) == count
    assert sorted(index for shard in shards for index in shard) == list(range(len(costs)))
    assert all(shard == sorted(shard) for shard in shards)


@given(costs=COSTS, count=st.integers(1, 8))
def test_partition_is_balanced_within_one_test(costs: list[float], count: int) -> None:
    """The heaviest and lightest shards differ by at most the costliest single test (greedy bound)."""
    totals = [sum(costs[index] for index in shard) for shard in sharding.partition(costs, count)]
    assert max(totals) - min(totals) <= max(costs, default=0) + 1e-6


def test_costs_scale_the_recording_to_the_budget() -> None:
    """A test recorded at the ci budget costs more under thorough, by its group's budget field."""
    recording = sharding.Recording(
        "ci", {"contract_tests/test_server_contract.py::test_operation_conforms[GET /x]": 10.0}
    )
    ids = [
        "contract_tests/test_server_contract.py::test_operation_conforms[GET /x]",
        "contract_tests/test_server_contract.py::test_operation_conforms[POST /y]",  # not recorded: module mean
        "contract_tests/test_new.py::test_new",  # not recorded, new module: overall mean
    ]
    ci, thorough = profiles.BUDGETS["ci"], profiles.BUDGETS["thorough"]
    assert recording.costs(ids, ci) == [10.0, 10.0, 10.0 * ci.property_examples / ci.property_examples]
    scaled = recording.costs(ids[:1], thorough)[0]
    assert scaled == pytest.approx(10.0 * thorough.fuzz_examples / ci.fuzz_examples)


def test_record_reads_a_junit_report(tmp_path: Path) -> None:
    """`record` stores each test's JUnit time under its node id, with the profile it ran with."""
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="contract_tests.test_server_contract" '
        'name="test_operation_conforms[POST /v2/payment-intents]" time="1.5"/>'
        '<testcase classname="contract_tests.test_behaviour" name="test_unknown_ids_are_not_found" time="0.25"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    out = tmp_path / "durations.json"
    sharding.record(junit, "quick", out)
    assert json.loads(out.read_text(encoding="utf-8")) == {
        "profile": "quick",
        "seconds": {
            "contract_tests/test_behaviour.py::test_unknown_ids_are_not_found": 0.25,
            "contract_tests/test_server_contract.py::test_operation_conforms[POST /v2/payment-intents]": 1.5,
        },
    }
    assert (
        sharding.Recording.load(out).seconds["contract_tests/test_behaviour.py::test_unknown_ids_are_not_found"] == 0.25
    )


def test_committed_recording_is_a_run_of_a_known_profile() -> None:
    """durations.json (`make contract-durations`) holds positive times of a known profile, by node id."""
    recording = sharding.Recording.load()
    assert recording.profile in profiles.BUDGETS
    assert recording.seconds
    assert all(test_id.startswith("contract_tests/test_") and "::" in test_id for test_id in recording.seconds)
    assert all(seconds > 0 for seconds in recording.seconds.values())


def _collected(shard: str | None) -> list[str]:
    """The node ids `pytest contract_tests --collect-only` keeps with CONTRACT_SHARD=shard, in order."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "CONTRACT_"))}
    if shard is not None:
        env["CONTRACT_SHARD"] = shard
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "contract_tests", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return [line for line in completed.stdout.splitlines() if line.startswith("contract_tests/")]


def test_two_shards_together_are_exactly_the_whole_suite() -> None:
    """Shards 1/2 and 2/2 collect disjoint tests whose union is, test for test, the unsharded collection."""
    whole, first, second = _collected(None), _collected("1/2"), _collected("2/2")
    assert len(whole) == len(set(whole)) > 0  # node ids are unique (schemathesis' operations included)
    assert first
    assert second
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(whole)
    # Each shard keeps the suite's order.
    assert first == [test for test in whole if test in set(first)]
