"""A run's settings: seed, budget, credentials and target, decided once."""

from __future__ import annotations

import pytest

from contract_tests import session


@pytest.fixture(autouse=True)
def no_current_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts (and leaves) no run in progress."""
    monkeypatch.setattr(session, "_current", None)


def test_seed_comes_from_the_option_then_the_environment() -> None:
    """--hypothesis-seed wins over CONTRACT_SEED; without either a seed is drawn."""
    assert session.parse_seed("12", {"CONTRACT_SEED": "34"}) == 12
    assert session.parse_seed(None, {"CONTRACT_SEED": "34"}) == 34
    assert session.parse_seed("", {}) >= 0
    with pytest.raises(ValueError, match="integer"):
        session.parse_seed(None, {"CONTRACT_SEED": "abc"})


def test_embedded_run_makes_up_credentials_and_redacts_them() -> None:
    """Without DOTS_BASE_URL the run invents credentials, and its redactor hides the key."""
    run = session.start(None, {"CONTRACT_SEED": "7", "CONTRACT_PROFILE": "quick"})
    assert (run.seed, run.budget.name, run.env_target) == (7, "quick", None)
    assert run.client_id.startswith("contract-")
    assert run.redactor(f"key={run.api_key}") == "key=[redacted]"
    assert session.current() is run
    assert "CONTRACT_SEED=7 CONTRACT_PROFILE=quick" in run.replay_hint()
    assert "--hypothesis-seed=7" in run.replay_hint()


def test_remote_run_uses_the_target_credentials() -> None:
    """With DOTS_BASE_URL the run sends DOTS_CLIENT_ID / DOTS_API_KEY."""
    environ = {"DOTS_BASE_URL": "https://dots.example/api", "DOTS_CLIENT_ID": "id", "DOTS_API_KEY": "key"}
    run = session.start(None, environ)
    assert run.env_target is not None
    assert run.auth == ("id", "key")
    assert "CONTRACT_PROFILE" not in run.replay_hint()


def test_current_outside_a_run_says_how_to_run() -> None:
    """session.current() before start() is a RuntimeError naming the command."""
    with pytest.raises(RuntimeError, match="make contract"):
        session.current()


def test_sharded_run_replays_its_own_shard() -> None:
    """CONTRACT_SHARD is part of the run: the replay command names the shard; a malformed one is refused."""
    run = session.start(None, {"CONTRACT_SEED": "7", "CONTRACT_SHARD": "2/3"})
    assert str(run.shard) == "2/3"
    assert "make contract CONTRACT_SEED=7 CONTRACT_SHARD=2/3" in run.replay_hint()
    with pytest.raises(ValueError, match="CONTRACT_SHARD"):
        session.start(None, {"CONTRACT_SHARD": "4/3"})


def test_seed_line_says_what_workers_do_not_replay() -> None:
    """With workers the seed line says it replays the cases, not the interleaving (shared server or a sandbox each)."""
    embedded = session.start(None, {"CONTRACT_SEED": "7"})
    assert "\n" not in embedded.seed_line()
    embedded.workers = 4
    assert "4 workers, a sandbox each: the seed replays the same cases, not which worker" in embedded.seed_line()
    remote = session.start(None, {"CONTRACT_SEED": "7", "DOTS_BASE_URL": "https://dots.example/api"})
    remote.workers = 2
    assert "2 workers share one server: the seed replays the same cases, not the same interleaving" in (
        remote.seed_line()
    )
