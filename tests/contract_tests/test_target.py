"""Targets: DOTS_BASE_URL and its credentials, or a real embedded sandbox process."""

from __future__ import annotations

import base64

import httpx
import pytest

from contract_tests.target import EmbeddedSandbox, Target, from_env, preflight


def test_from_env_is_none_without_a_base_url() -> None:
    """No DOTS_BASE_URL (or an empty one) means the embedded sandbox."""
    assert from_env({}) is None
    assert from_env({"DOTS_BASE_URL": "  "}) is None


def test_from_env_reads_the_url_and_credentials() -> None:
    """DOTS_BASE_URL (trailing slash dropped) with DOTS_CLIENT_ID and DOTS_API_KEY."""
    target = from_env({"DOTS_BASE_URL": "https://dots.example/api/", "DOTS_CLIENT_ID": "id", "DOTS_API_KEY": "k"})
    assert target is not None
    assert (target.base_url, target.auth, target.embedded) == ("https://dots.example/api", ("id", "k"), False)


def test_from_env_defaults_to_the_sandbox_credentials() -> None:
    """Without credentials the documented sandbox defaults are used, and the description says so."""
    target = from_env({"DOTS_BASE_URL": "http://127.0.0.1:8080/api"})
    assert target is not None
    assert target.auth == ("sandbox-client-id", "sandbox-api-key")
    assert "sandbox defaults" in target.description


@pytest.mark.parametrize(
    "environ",
    [
        {"DOTS_BASE_URL": "127.0.0.1:8080/api"},
        {"DOTS_BASE_URL": "http://127.0.0.1:8080/api", "DOTS_CLIENT_ID": "id"},
        {"DOTS_BASE_URL": "http://127.0.0.1:8080/api", "DOTS_API_KEY": "key"},
    ],
)
def test_from_env_rejects_a_bad_url_or_half_the_credentials(environ: dict[str, str]) -> None:
    """A URL without a scheme, or only one of the two credentials, is a ValueError."""
    with pytest.raises(ValueError, match="DOTS_"):
        from_env(environ)


def test_target_keeps_the_api_key_out_of_its_repr() -> None:
    """repr shows no key; secrets() are the key and the Basic token built from it."""
    target = Target("http://h/api", "client", "s3cret")
    token = base64.b64encode(b"client:s3cret").decode()
    assert "s3cret" not in repr(target)
    assert target.authorization == f"Basic {token}"
    assert target.secrets() == ("s3cret", token)


def test_embedded_sandbox_serves_with_its_credentials_and_stops() -> None:
    """The embedded sandbox answers on the URL it printed, only to its credentials, and is gone after."""
    sandbox = EmbeddedSandbox(client_id="contract-test", api_key="contract-key")
    with sandbox as target:
        assert target.embedded
        assert target.auth == ("contract-test", "contract-key")
        url = f"{target.base_url}/v2/payment-intents"
        assert httpx.post(url, json={"amount": 1, "currency": "usd"}, auth=target.auth).status_code == 200
        assert (
            httpx.post(url, json={"amount": 1, "currency": "usd"}, auth=("sandbox-client-id", "x")).status_code == 401
        )
        process = sandbox.process
        assert process is not None
    assert process.poll() is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_embedded_sandbox_that_cannot_start_says_why() -> None:
    """A sandbox that exits at start-up raises RuntimeError with its output."""
    with pytest.raises(RuntimeError, match="DOTS_CLIENT_ID"):
        EmbeddedSandbox(client_id="no:colons", api_key="key", startup_timeout=20).start()


def test_preflight_names_an_unreachable_server_and_refused_credentials() -> None:
    """preflight is None for a working target, and says why otherwise."""
    with EmbeddedSandbox(client_id="contract-test", api_key="contract-key") as target:
        assert preflight(target) is None
        wrong = Target(target.base_url, "contract-test", "wrong-key")
        assert "answered 401" in (preflight(wrong) or "")
        assert "wrong-key" not in (preflight(wrong) or "")
    assert "cannot reach" in (preflight(target, timeout=2) or "")
