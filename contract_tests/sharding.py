"""`CONTRACT_SHARD=i/n`: one of n disjoint shards of the suite, balanced by what each test costs.

A test's cost is its time in a recorded run (`durations.json`, written by `make contract-durations`)
scaled from the recorded profile's budget to the current one: the examples a test draws are set by
one budget field per group (`examples`), so a `thorough` shard is balanced from a `ci` recording.
A test the recording does not know costs the mean of its module's recorded tests (of every test
when the module is new). Tests are dealt out heaviest first, each to the lightest shard so far
(ties: lowest shard number, then collection order), so every process that collects the same tests
makes the same shards and together the shards are exactly the unsharded suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import profiles

ENV_VAR = "CONTRACT_SHARD"
DURATIONS_PATH = Path(__file__).resolve().parent / "durations.json"


@dataclasses.dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(text: str) -> Shard | None:
    """`"i/n"` (1 ≤ i ≤ n) as a Shard; None for an empty string; ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    index, slash, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        shard = None
    if not slash or shard is None or not 1 <= shard.index <= shard.count:
        raise ValueError(f"{ENV_VAR} must be i/n with 1 <= i <= n (e.g. 1/4), not {text!r}")
    return shard


def selected(environ: Mapping[str, str] = os.environ) -> Shard | None:
    """The shard `CONTRACT_SHARD` names, None when unset (ValueError when malformed)."""
    return parse(environ.get(ENV_VAR, ""))


def examples(test_id: str, budget: profiles.Budget) -> int:
    """How many examples the budget gives the test `test_id` (its group's budget field)."""
    module, _, name = test_id.partition("::")
    if name.startswith("test_link_driven"):
        return budget.stateful_examples * budget.stateful_steps
    by_module = {
        "test_server_contract.py": budget.fuzz_examples,
        "test_client_contract.py": budget.client_examples,
    }
    return by_module.get(module.rsplit("/", 1)[-1], budget.property_examples)


@dataclasses.dataclass(frozen=True, slots=True)
class Recording:
    """Seconds each test took in one run of the suite, and that run's profile."""

    profile: str
    seconds: dict[str, float]

    @classmethod
    def load(cls, path: Path = DURATIONS_PATH) -> Recording:
        """The recording at `path`; an empty one (every test costs the same) when there is none."""
        if not path.exists():
            return cls(profiles.DEFAULT_PROFILE, {})
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(str(data["profile"]), {str(k): float(v) for k, v in data["seconds"].items()})

    def costs(self, test_ids: Sequence[str], budget: profiles.Budget) -> list[float]:
        """The estimated seconds of each test under `budget`, in the order given."""
        recorded_budget = profiles.BUDGETS[self.profile]
        overall = statistics.fmean(self.seconds.values()) if self.seconds else 1.0
        by_module: dict[str, list[float]] = {}
        for test_id, seconds in self.seconds.items():
            by_module.setdefault(test_id.partition("::")[0], []).append(seconds)
        costs = []
        for test_id in test_ids:
            module = test_id.partition("::")[0]
            fallback = statistics.fmean(by_module[module]) if module in by_module else overall
            seconds = self.seconds.get(test_id, fallback)
            costs.append(seconds * examples(test_id, budget) / max(1, examples(test_id, recorded_budget)))
        return costs


def partition(costs: Sequence[float], count: int) -> list[list[int]]:
    """Indexes of `costs` dealt into `count` shards, heaviest first to the lightest shard; each in order."""
    shards: list[list[int]] = [[] for _ in range(count)]
    totals = [0.0] * count
    for index in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        lightest = min(range(count), key=lambda shard: (totals[shard], shard))
        shards[lightest].append(index)
        totals[lightest] += costs[index]
    return [sorted(shard) for shard in shards]


def junit_seconds(junit: Path) -> dict[str, float]:
    """Each test's seconds in a JUnit report of the suite, by node id."""
    seconds: dict[str, float] = {}
    for case in ET.parse(junit).iter("testcase"):  # noqa: S314 (our own report)
        module = case.get("classname", "").replace(".", "/") + ".py"
        test_id = f"{module}::{case.get('name')}"
        seconds[test_id] = seconds.get(test_id, 0.0) + float(case.get("time", 0))
    return seconds


def record(junit: Path, profile: str, path: Path = DURATIONS_PATH) -> None:
    """Write the recording of the run whose JUnit report is `junit` (run with `profile`) to `path`."""
    seconds = {test_id: round(value, 3) for test_id, value in sorted(junit_seconds(junit).items())}
    text = json.dumps({"profile": profile, "seconds": seconds}, indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """`python -m contract_tests.sharding JUNIT`: record a run's durations (profile from CONTRACT_PROFILE)."""
    parser = argparse.ArgumentParser(prog="python -m contract_tests.sharding", description=main.__doc__)
    parser.add_argument("junit", type=Path, help="the JUnit report of a whole, passing run of the suite")
    args = parser.parse_args(argv)
    profile = profiles.selected().name
    record(args.junit, profile)
    print(f"recorded {len(junit_seconds(args.junit))} tests ({profile} profile) in {DURATIONS_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
