"""Settings: documented defaults, environment variables, refusals, and a repr without the key."""

from __future__ import annotations

import pytest

from dots_sandbox.settings import BODY_TIMEOUT_SECONDS, MAX_BODY_BYTES, Settings
from dots_spec.document import load_spec
from dots_spec.refs import resolve


def test_defaults_are_the_documented_local_ones() -> None:
    """With an empty environment: 127.0.0.1:8080, .sandbox/sandbox.db, the sandbox credentials, synchronous NORMAL."""
    settings = Settings.from_env({})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.db) == ("127.0.0.1", 8080, ".sandbox/sandbox.db")
    assert (settings.client_id, settings.api_key) == ("sandbox-client-id", "sandbox-api-key")
    assert settings.synchronous == "NORMAL"
    assert settings.url() == "http://127.0.0.1:8080/api"


def test_environment_variables_are_read() -> None:
    """SANDBOX_HOST, SANDBOX_PORT, SANDBOX_DB, SANDBOX_SYNCHRONOUS, DOTS_CLIENT_ID and DOTS_API_KEY set the settings."""
    settings = Settings.from_env(
        {
            "SANDBOX_HOST": "0.0.0.0",  # noqa: S104
            "SANDBOX_PORT": "9000",
            "SANDBOX_DB": ":memory:",
            "SANDBOX_SYNCHRONOUS": "full",
            "DOTS_CLIENT_ID": "id",
            "DOTS_API_KEY": "key",
        }
    )
    assert settings == Settings("0.0.0.0", 9000, ":memory:", "id", "key", "FULL")  # noqa: S104
    assert settings.in_memory
    assert settings.db_path() is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SANDBOX_PORT": "http"}, "SANDBOX_PORT must be an integer"),
        ({"SANDBOX_PORT": "65536"}, "port must be 0 to 65535"),
        ({"SANDBOX_SYNCHRONOUS": "OFF"}, "synchronous must be one of"),
        ({"DOTS_CLIENT_ID": "a:b"}, "DOTS_CLIENT_ID must be non-empty and contain no ':'"),
        ({"DOTS_CLIENT_ID": ""}, "DOTS_CLIENT_ID"),
        ({"DOTS_API_KEY": ""}, "DOTS_API_KEY must be non-empty"),
        ({"SANDBOX_FAULTS": "maybe"}, "SANDBOX_FAULTS must be 1 or 0"),
    ],
)
def test_bad_values_are_refused(environ: dict[str, str], message: str) -> None:
    """Values the sandbox cannot run with raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


@pytest.mark.parametrize(("value", "enabled"), [("1", True), (" Yes", True), ("on", True), ("0", False), ("", False)])
def test_faults_are_off_unless_sandbox_faults_says_on(value: str, enabled: bool) -> None:
    """SANDBOX_FAULTS turns failures on demand on (1/true/yes/on) or off (0/false/no/off, empty); off by default."""
    assert Settings.from_env({"SANDBOX_FAULTS": value}).faults is enabled
    assert Settings.from_env({}).faults is False


def test_front_limits_come_from_the_environment() -> None:
    """SANDBOX_WORKERS and the HTTP front's limits are read; the defaults are the documented ones."""
    settings = Settings.from_env(
        {
            "SANDBOX_DB": "shared.db",
            "SANDBOX_WORKERS": "3",
            "SANDBOX_BODY_TIMEOUT": "2.5",
            "SANDBOX_HEADER_TIMEOUT": "1",
            "SANDBOX_KEEP_ALIVE_TIMEOUT": "0.5",
            "SANDBOX_MAX_HEADER_BYTES": "2048",
        }
    )
    assert (settings.workers, settings.body_timeout_seconds, settings.header_timeout_seconds) == (3, 2.5, 1.0)
    assert (settings.keep_alive_timeout_seconds, settings.max_header_bytes) == (0.5, 2048)
    defaults = Settings()
    assert (defaults.workers, defaults.header_timeout_seconds, defaults.keep_alive_timeout_seconds) == (1, 10, 5)
    assert defaults.max_header_bytes == 16_384


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SANDBOX_WORKERS": "two"}, "SANDBOX_WORKERS must be an integer"),
        ({"SANDBOX_WORKERS": "0"}, "workers must be at least 1"),
        ({"SANDBOX_WORKERS": "2", "SANDBOX_DB": ":memory:"}, ":memory: database lives inside one process"),
        ({"SANDBOX_HEADER_TIMEOUT": "soon"}, "SANDBOX_HEADER_TIMEOUT must be a number"),
        ({"SANDBOX_HEADER_TIMEOUT": "0"}, "header_timeout_seconds must be positive"),
        ({"SANDBOX_KEEP_ALIVE_TIMEOUT": "-1"}, "keep_alive_timeout_seconds must be positive"),
        ({"SANDBOX_MAX_HEADER_BYTES": "512"}, "max_header_bytes must be at least 1024"),
        ({"SANDBOX_MAX_HEADER_BYTES": "16k"}, "SANDBOX_MAX_HEADER_BYTES must be an integer"),
    ],
)
def test_bad_front_settings_are_refused(environ: dict[str, str], message: str) -> None:
    """Worker counts and limits the sandbox cannot honour raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan")])
def test_body_timeout_must_be_positive(seconds: float) -> None:
    """A body timeout that is zero, negative or NaN is refused; the default is 30 seconds."""
    with pytest.raises(ValueError, match="body_timeout_seconds must be positive"):
        Settings(body_timeout_seconds=seconds)
    assert Settings().body_timeout_seconds == BODY_TIMEOUT_SECONDS == 30


def test_repr_never_shows_the_api_key() -> None:
    """The API key is kept out of the settings' repr."""
    settings = Settings(api_key="very-secret-key")
    assert "very-secret-key" not in repr(settings)
    assert "sandbox-client-id" in repr(settings)


def test_url_brackets_ipv6_hosts() -> None:
    """An IPv6 host is written in brackets, and the port can be overridden (for --port 0)."""
    assert Settings(host="::1").url(4321) == "http://[::1]:4321/api"


def test_body_limit_is_the_specs() -> None:
    """The body limit is the 262,144 bytes the spec's PayloadTooLarge response documents."""
    spec = load_spec()
    description = resolve(spec["components"]["responses"]["PayloadTooLarge"], spec)["description"]
    assert f"{MAX_BODY_BYTES:,}" in description
    assert Settings().max_body_bytes == MAX_BODY_BYTES == 256 * 1024


def test_webhook_and_settlement_variables_are_read() -> None:
    """SANDBOX_WEBHOOKS (several receivers), the retry delays, the timeout and the settlement delay."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    settings = Settings.from_env(
        {
            "SANDBOX_WEBHOOKS": f"http://127.0.0.1:1/a={secret} http://127.0.0.1:2/b={secret}",
            "SANDBOX_WEBHOOK_RETRY_SECONDS": "1, 2.5 10",
            "SANDBOX_WEBHOOK_TIMEOUT_SECONDS": "2",
            "SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER": "2",
            "SANDBOX_SETTLEMENT_SECONDS": "0.5",
        }
    )
    assert settings.webhook_attempts_per_receiver == 2
    assert [receiver.url for receiver in settings.webhooks] == ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"]
    assert settings.webhook_retry_seconds == (1.0, 2.5, 10.0)
    assert (settings.webhook_timeout_seconds, settings.settlement_seconds) == (2.0, 0.5)
    assert secret not in repr(settings)
    defaults = Settings.from_env({})
    assert defaults.webhooks == ()
    assert defaults.webhook_retry_seconds == (5.0, 30.0, 120.0, 600.0, 1800.0)
    assert (defaults.webhook_timeout_seconds, defaults.settlement_seconds) == (15.0, 3.0)
    assert defaults.webhook_attempts_per_receiver == 4
    assert Settings.from_env({"SANDBOX_WEBHOOK_RETRY_SECONDS": ""}).webhook_retry_seconds == ()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SANDBOX_SETTLEMENT_SECONDS": "soon"}, "SANDBOX_SETTLEMENT_SECONDS must be a number"),
        ({"SANDBOX_SETTLEMENT_SECONDS": "-1"}, "SANDBOX_SETTLEMENT_SECONDS must be 0 or more"),
        ({"SANDBOX_WEBHOOK_TIMEOUT_SECONDS": "0"}, "SANDBOX_WEBHOOK_TIMEOUT_SECONDS must be positive"),
        ({"SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER": "0"}, "SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER must be 1 or more"),
        ({"SANDBOX_WEBHOOK_RETRY_SECONDS": "5 x"}, "SANDBOX_WEBHOOK_RETRY_SECONDS must be seconds"),
        ({"SANDBOX_WEBHOOK_RETRY_SECONDS": "5 -1"}, "SANDBOX_WEBHOOK_RETRY_SECONDS must be delays"),
        ({"SANDBOX_WEBHOOKS": "http://127.0.0.1:1/"}, "SANDBOX_WEBHOOKS entries are URL=whsec_SECRET"),
    ],
)
def test_bad_webhook_values_are_refused(environ: dict[str, str], message: str) -> None:
    """Webhook and settlement values the sandbox cannot use raise ValueError naming the variable."""
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


def test_a_postgresql_url_is_accepted_and_its_password_never_shown() -> None:
    """SANDBOX_DB may be a PostgreSQL URL: the repr masks its password, and there is no SQLite file."""
    settings = Settings.from_env({"SANDBOX_DB": "postgresql://sandbox:hunter2@db.internal:5433/sandbox"})
    assert settings.database.engine == "postgresql"
    assert settings.database.display == "postgresql://sandbox:***@db.internal:5433/sandbox"
    assert "hunter2" not in repr(settings)
    assert "postgresql://sandbox:***@db.internal:5433/sandbox" in repr(settings)
    assert settings.db_path() is None
    assert not settings.in_memory


def test_an_unsupported_database_url_is_refused() -> None:
    """A URL scheme the sandbox cannot honour is a ValueError, not a SQLite file named after it."""
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'"):
        Settings(db="mysql://root@localhost/db")
