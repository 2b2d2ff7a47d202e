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
