"""One run of the suite: its budget, seed, shard, credentials and target, decided once when pytest starts.

`conftest.py` calls `start()` before collection, so test modules can read the run's settings at
import time (schemathesis derives each operation's seed while collecting). Under pytest-xdist every
worker process calls it too, with the controller's seed, so every worker draws from the same seed.
"""

from __future__ import annotations

import dataclasses
import os
import random
import secrets
from collections.abc import Mapping

from . import profiles, sharding, target
from .reporting import Redactor, Summary

SEED_VAR = "CONTRACT_SEED"


@dataclasses.dataclass
class Session:
    """Everything one run shares."""

    budget: profiles.Budget
    seed: int
    client_id: str
    api_key: str = dataclasses.field(repr=False)
    env_target: target.Target | None
    """The target DOTS_BASE_URL names; None means the embedded sandbox."""
    redactor: Redactor = dataclasses.field(default_factory=Redactor)
    summary: Summary = dataclasses.field(default_factory=Summary)
    target: target.Target | None = None
    """The target in use, once started."""
    shard: sharding.Shard | None = None
    """The shard of the suite this run is (CONTRACT_SHARD), None for the whole suite."""
    workers: int = 1
    """How many processes run the tests (pytest-xdist workers; 1 without)."""

    @property
    def auth(self) -> tuple[str, str]:
        """(client_id, api_key) for HTTP Basic."""
        return (self.client_id, self.api_key)

    def replay_hint(self) -> str:
        """How to run again with this seed."""
        profile = "" if self.budget.name == profiles.DEFAULT_PROFILE else f" CONTRACT_PROFILE={self.budget.name}"
        shard = "" if self.shard is None else f" CONTRACT_SHARD={self.shard}"
        return (
            f"make contract CONTRACT_SEED={self.seed}{profile}{shard}"
            f"  (or: pytest contract_tests --hypothesis-seed={self.seed})"
        )

    def seed_line(self) -> str:
        """The seed, what it replays, and how."""
        line = f"contract seed: {self.seed}; replay: {self.replay_hint()}"
        if self.workers > 1:
            line += f"\n    ({self.interleaving_note()})"
        return line

    def interleaving_note(self) -> str:
        """What the seed does not replay when several workers run the suite."""
        if self.env_target is not None:
            return (
                f"{self.workers} workers share one server: the seed replays the same cases, not the same "
                "interleaving of the workers' requests"
            )
        return (
            f"{self.workers} workers, a sandbox each: the seed replays the same cases, not which worker, "
            "and so which sandbox state, each test meets"
        )


_current: Session | None = None


def parse_seed(option: object, environ: Mapping[str, str] = os.environ) -> int:
    """The seed from --hypothesis-seed, else CONTRACT_SEED, else a fresh random one."""
    raw = option if option not in (None, "") else environ.get(SEED_VAR, "").strip()
    if raw in (None, ""):
        return random.SystemRandom().randrange(2**32)
    try:
        return int(str(raw))
    except ValueError:
        raise ValueError(f"the seed must be an integer, not {raw!r}") from None


def start(seed_option: object = None, environ: Mapping[str, str] = os.environ) -> Session:
    """Decide the run's settings from the environment (ValueError with a message when they are wrong)."""
    global _current  # noqa: PLW0603 (one run per process, read by test modules at import)
    budget = profiles.selected(environ)
    env_target = target.from_env(environ)
    seed = parse_seed(seed_option, environ)
    shard = sharding.selected(environ)
    if env_target is not None:
        client_id, api_key = env_target.auth
    else:
        client_id, api_key = f"contract-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    session = Session(
        budget=budget, seed=seed, client_id=client_id, api_key=api_key, env_target=env_target, shard=shard
    )
    session.redactor.add(*target.Target("", client_id, api_key).secrets())
    _current = session
    return session


def current() -> Session:
    """The run in progress; RuntimeError outside one."""
    if _current is None:
        raise RuntimeError("no contract run in progress: run the suite with `pytest contract_tests` or `make contract`")
    return _current
