"""`python -m dots_sandbox` as a real process: startup line, signals, logs, concurrency, `kill -9`."""

from __future__ import annotations

import asyncio
import base64
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
import pytest

from dots_sandbox.__main__ import forwarding, parse_args, quiet_per_request_warnings
from dots_sandbox.background.webhooks import parse_receivers
from dots_sandbox.settings import Settings
from dots_sandbox.store.url import parse_database
from tools.postgres import Cluster

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

    StartSandbox = Callable[..., LiveSandbox]

AUTH = ("sandbox-client-id", "sandbox-api-key")
PM = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _create(client: httpx.Client) -> dict[str, Any]:
    response = client.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_startup_line_and_stops_cleanly(start_sandbox: StartSandbox, signum: int, tmp_path: Path) -> None:
    """The process prints exactly one line naming its URL and database, serves, and exits 0 on the signal."""
    db = str(tmp_path / "sandbox.db")
    sandbox = start_sandbox(db)
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.url.endswith("/api")
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as client:
        _create(client)
    assert sandbox.stop(signum) == 0
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url}", f"database: {db}"]


def test_credentials_never_appear_in_the_output(start_sandbox: StartSandbox) -> None:
    """With requests right, wrong and malformed, the output holds neither the API key nor its Basic token."""
    client_id, api_key = "client-\u00e9t\u00e9", "k3y-\u00fcber-s3cret-value"
    sandbox = start_sandbox(env={"DOTS_CLIENT_ID": client_id, "DOTS_API_KEY": api_key})
    token = base64.b64encode(f"{client_id}:{api_key}".encode()).decode()
    with httpx.Client(base_url=sandbox.url) as client:
        good = {"authorization": f"Basic {token}"}  # the client id is not ASCII: encode by hand
        intent = client.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}, headers=good).json()
        assert client.get(f"/v2/payment-intents/{intent['id']}", headers=good).status_code == 200
        assert (
            client.get(f"/v2/payment-intents/{intent['id']}", headers={b"authorization": api_key.encode()}).status_code
            == 401
        )
        assert client.get("/v2/payment-intents/x", headers={"authorization": f"Bearer {token}"}).status_code == 401
        assert client.post("/v2/payment-intents", content=b"{", headers=good).status_code == 415
        assert client.post(f"/v2/payment-intents/{api_key}/confirm", headers=good, json={}).status_code == 400
    assert sandbox.stop() == 0
    assert len(sandbox.lines) == 2  # the listening line and the database
    for secret in (api_key, token, intent["client_secret"]):
        assert secret not in sandbox.output


def test_many_concurrent_confirms_over_http_one_wins(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """32 concurrent HTTP confirms of one intent (10 rounds) against a live server: one 200, the rest 409."""
    sandbox = start_sandbox(str(tmp_path / "http.db"))

    async def rounds() -> None:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=sandbox.url, auth=AUTH, limits=limits) as client:
            for _ in range(10):
                created = await client.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"})
                path = f"/v2/payment-intents/{created.json()['id']}/confirm"
                answers = await asyncio.gather(*(client.post(path, json={"payment_method_id": PM}) for _ in range(32)))
                statuses = sorted(answer.status_code for answer in answers)
                assert statuses == [200] + [409] * 31

    asyncio.run(rounds())
    assert sandbox.stop() == 0


def test_two_servers_on_one_database_confirm_once(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """Two server processes sharing a database file: concurrent confirms through both give exactly one 200."""
    db = str(tmp_path / "shared.db")
    first, second = start_sandbox(db), start_sandbox(db)

    async def rounds() -> None:
        async with (
            httpx.AsyncClient(base_url=first.url, auth=AUTH) as one,
            httpx.AsyncClient(base_url=second.url, auth=AUTH) as two,
        ):
            for _ in range(10):
                created = await one.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"})
                path = f"/v2/payment-intents/{created.json()['id']}/confirm"
                answers = await asyncio.gather(
                    *(client.post(path, json={"payment_method_id": PM}) for client in [one, two] * 8)
                )
                assert sorted(answer.status_code for answer in answers) == [200] + [409] * 15

    asyncio.run(rounds())
    assert first.stop() == 0
    assert second.stop() == 0


def test_answered_confirms_survive_kill_9(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """Confirms answered 200 before a SIGKILL mid-traffic are all there after a restart; confirming again is 409."""
    db = str(tmp_path / "durable.db")
    sandbox = start_sandbox(db)
    answered: list[dict[str, Any]] = []
    enough = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=sandbox.url, auth=AUTH) as client:
            try:
                while True:
                    intent = _create(client)
                    confirmed = client.post(
                        f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": PM}
                    )
                    assert confirmed.status_code == 200
                    answered.append(confirmed.json())
                    if len(answered) >= 40:
                        enough.set()
            except httpx.TransportError:
                return  # the server was killed mid-request

    worker = threading.Thread(target=traffic)
    worker.start()
    assert enough.wait(30)
    sandbox.process.send_signal(signal.SIGKILL)
    worker.join(30)
    assert sandbox.process.wait(10) == -signal.SIGKILL

    restarted = start_sandbox(db)
    with httpx.Client(base_url=restarted.url, auth=AUTH) as client:
        for confirmed in answered:
            assert client.get(f"/v2/payment-intents/{confirmed['id']}").json() == confirmed
            again = client.post(f"/v2/payment-intents/{confirmed['id']}/confirm", json={"payment_method_id": PM})
            assert again.status_code == 409
    assert restarted.stop() == 0


BASIC = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
UNKNOWN_ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"


def _connect(sandbox: LiveSandbox) -> socket.socket:
    """A raw TCP connection to the sandbox, with a 15 s liveness timeout on every read."""
    host, port = sandbox.url.removeprefix("http://").removesuffix("/api").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=15)


def _read_response(sock: socket.socket, buffer: bytes = b"") -> tuple[bytes, bytes]:
    """One HTTP response with a Content-Length (head and body) read from `sock`, and what followed it."""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _read_to_end(sock: socket.socket, buffer: bytes = b"") -> bytes:
    """Everything until the server closes the connection."""
    while chunk := sock.recv(65536):
        buffer += chunk
    return buffer


def test_sigterm_stops_the_server_while_a_client_holds_a_half_sent_body(start_sandbox: StartSandbox) -> None:
    """A client that sent 1 of 100 body bytes and waits cannot hold up SIGTERM: it gets a 400, the process exits 0."""
    sandbox = start_sandbox()
    with _connect(sandbox) as sock:
        # Pipelined: once the first answer is back, the server has read the second request's headers too.
        sock.sendall(
            f"GET /api/v2/payment-intents/{UNKNOWN_ID} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: {BASIC}\r\n\r\n"
            f"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nAuthorization: {BASIC}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
        )
        first, rest = _read_response(sock)
        assert first.startswith(b"HTTP/1.1 404 ")
        assert sandbox.stop(signal.SIGTERM, timeout=10) == 0  # 10 s: liveness only
        answer = _read_to_end(sock, rest)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b'"message":"The server is stopping; the body did not arrive in full"}]}')
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url}", "database: :memory:"]


MALFORMED_HTTP = [
    b"get /api HTTP/1.1\r\nHost: sandbox\r\n\r\n",
    b"GET /api/v2/payment-\x00intents HTTP/1.1\r\nHost: sandbox\r\n\r\n",
    b"GET /api HTTP/1.1\r\nHost: sandbox\r\nBad Header: x\r\n\r\n",
    b"POST /api/v2/payment-intents HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
]


def test_malformed_http_is_a_plain_400_and_leaves_no_log_line(start_sandbox: StartSandbox) -> None:
    """Requests that are not HTTP/1.1 get uvicorn's plain-text 400; neither they nor Upgrade requests log a line."""
    sandbox = start_sandbox()
    for request in MALFORMED_HTTP * 3:
        with _connect(sandbox) as sock:
            sock.sendall(request)
            answer = _read_to_end(sock)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert answer.endswith(b"\r\n\r\nInvalid HTTP request received.")
    for upgrade in (b"websocket", b"h2c") * 2:
        with _connect(sandbox) as sock:
            sock.sendall(
                b"GET /api HTTP/1.1\r\nHost: sandbox\r\nConnection: Upgrade\r\nUpgrade: " + upgrade + b"\r\n\r\n"
            )
            assert _read_response(sock)[0].startswith(b"HTTP/1.1 404 ")
    assert sandbox.stop() == 0
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url}", "database: :memory:"]


def test_the_log_filter_drops_only_per_request_warnings() -> None:
    """The uvicorn.error filter drops the warnings a client can cause and keeps every other record."""

    def record(level: int, message: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", level, __file__, 1, message, None, None)

    dropped = [
        "Invalid HTTP request received.",
        "Unsupported upgrade request.",
        "No supported WebSocket library detected.",
    ]
    assert not any(quiet_per_request_warnings(record(logging.WARNING, message)) for message in dropped)
    assert quiet_per_request_warnings(record(logging.ERROR, "Invalid HTTP request received."))
    assert quiet_per_request_warnings(record(logging.WARNING, "Cancel 1 running task(s), timeout graceful shutdown"))
    assert quiet_per_request_warnings(record(logging.ERROR, "Exception in ASGI application\n"))


def test_a_busy_port_fails_with_a_message(tmp_path: Path) -> None:
    """When the port is taken the process exits 1 and says why."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dots_sandbox", "--port", str(port), "--db", ":memory:"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"dots sandbox: cannot listen on 127.0.0.1:{port}: ")
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_a_bad_environment_fails_with_a_message() -> None:
    """A malformed SANDBOX_PORT exits 2 with a message naming the variable."""
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox"],
        cwd=REPO_ROOT,
        env={"SANDBOX_PORT": "eighty", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SANDBOX_PORT must be an integer" in result.stderr


def test_a_malformed_webhook_secret_fails_without_showing_it() -> None:
    """A receiver whose secret is not whsec_ + base64 exits 2 naming its URL; the secret's text is not printed."""
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox"],
        cwd=REPO_ROOT,
        env={"SANDBOX_WEBHOOKS": "http://127.0.0.1:9/hook=whsec_t0p*s3cret", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "webhook receiver http://127.0.0.1:9/hook must be whsec_ followed by base64" in result.stderr
    assert "t0p*s3cret" not in result.stderr + result.stdout


def test_command_line_overrides_the_environment() -> None:
    """--host, --port, --db and --synchronous override the environment's values; credentials stay."""
    defaults = Settings(host="0.0.0.0", port=1, db="env.db", client_id="env-id", api_key="env-key")  # noqa: S104
    settings = parse_args(["--host", "::1", "--port", "0", "--db", ":memory:", "--synchronous", "full"], defaults)
    assert (settings.host, settings.port, settings.db, settings.synchronous) == ("::1", 0, ":memory:", "FULL")
    assert (settings.client_id, settings.api_key) == ("env-id", "env-key")
    assert parse_args([], defaults) == defaults


def test_front_flags_override_the_environment() -> None:
    """--workers and the limit flags override their environment variables."""
    defaults = Settings(db="env.db", workers=4, header_timeout_seconds=3)
    argv = ["--workers", "2", "--header-timeout", "1.5", "--keep-alive-timeout", "2", "--max-header-bytes", "4096"]
    settings = parse_args([*argv, "--body-timeout", "7"], defaults)
    assert (settings.workers, settings.header_timeout_seconds, settings.keep_alive_timeout_seconds) == (2, 1.5, 2)
    assert (settings.max_header_bytes, settings.body_timeout_seconds) == (4096, 7)
    assert parse_args([], defaults) == defaults


def test_bad_command_line_values_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An out-of-range port or unknown synchronous level is a usage error."""
    for argv in (
        ["--port", "70000"],
        ["--synchronous", "OFF"],
        ["--port", "x"],
        ["--workers", "2", "--db", ":memory:"],
    ):
        with pytest.raises(SystemExit) as exited:
            parse_args(argv, Settings())
        assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


# ---- PostgreSQL: several instances on one database -----------------------------------------------------------


def _masked(url: str) -> str:
    return parse_database(url).display


def _secret(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url)["password"])


def test_postgresql_startup_line_masks_the_password(start_sandbox: StartSandbox, postgres_url: str) -> None:
    """On PostgreSQL the one startup line names the database with the password masked, and serves."""
    sandbox = start_sandbox(postgres_url)
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as client:
        intent = _create(client)
        assert client.get(f"/v2/payment-intents/{intent['id']}").json()["id"] == intent["id"]
    assert sandbox.stop() == 0
    assert sandbox.lines == [f"dots sandbox listening on {sandbox.url}", f"database: {_masked(postgres_url)}"]
    assert ":***@" in sandbox.lines[1]
    assert _secret(postgres_url) not in sandbox.output


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_database_url_it_cannot_honour_is_refused(how: str, tmp_path: Path) -> None:
    """mysql:// (flag or SANDBOX_DB) exits 2 saying what is accepted; no file or folder is created; no password."""
    url = "mysql://root:hunter2@localhost:3306/db"
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox", *(["--db", url] if how == "flag" else [])],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), **({"SANDBOX_DB": url} if how != "flag" else {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unsupported database URL scheme 'mysql'" in result.stderr
    assert "postgresql://" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [(), ("--workers", "2")], ids=["one-process", "workers"])
def test_a_database_down_at_start_is_one_line_naming_host_and_port(args: tuple[str, ...]) -> None:
    """Nothing listens at the URL: exit 1, one line naming host and port (with workers: the supervisor's check)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "dots_sandbox", "--port", "0", *args],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "SANDBOX_DB": f"postgresql://sandbox:hunter2@127.0.0.1:{port}/sandbox"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"dots sandbox: cannot use PostgreSQL at 127.0.0.1:{port} ")
    assert "postgresql://sandbox:***@" in lines[0]
    assert "hunter2" not in result.stderr


def test_64_concurrent_confirms_over_3_instances_one_wins(start_sandbox: StartSandbox, postgres_url: str) -> None:
    """3 processes on one PostgreSQL database; 64 concurrent confirms of one intent over them (20 rounds): one 200."""
    instances = [start_sandbox(postgres_url) for _ in range(3)]

    async def rounds() -> None:
        limits = httpx.Limits(max_connections=64)
        clients = [httpx.AsyncClient(base_url=one.url, auth=AUTH, limits=limits, timeout=30) for one in instances]
        try:
            for round_number in range(20):
                creator = clients[round_number % 3]
                created = await creator.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"})
                path = f"/v2/payment-intents/{created.json()['id']}/confirm"
                answers = await asyncio.gather(
                    *(clients[i % 3].post(path, json={"payment_method_id": str(uuid.uuid4())}) for i in range(64))
                )
                statuses = sorted(answer.status_code for answer in answers)
                assert statuses == [200] + [409] * 63
                (winner,) = (answer.json() for answer in answers if answer.status_code == 200)
                for client in clients:  # every instance reads the winner's write
                    assert (await client.get(f"/v2/payment-intents/{winner['id']}")).json() == winner
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(rounds())
    assert all(one.stop() == 0 for one in instances)


def test_kill_9_of_one_instance_under_load_loses_nothing_answered(
    start_sandbox: StartSandbox, postgres_url: str
) -> None:
    """Two instances on one database under create+confirm load; one is SIGKILLed: nothing either answered is lost."""
    doomed, survivor = start_sandbox(postgres_url), start_sandbox(postgres_url)
    answered: list[dict[str, Any]] = []
    enough, done = threading.Event(), threading.Event()

    def traffic(base_url: str) -> None:
        with httpx.Client(base_url=base_url, auth=AUTH) as client:
            try:
                while not done.is_set():
                    intent = _create(client)
                    answered.append(intent)
                    confirmed = client.post(
                        f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": PM}
                    )
                    assert confirmed.status_code == 200
                    answered.append(confirmed.json())
                    if len(answered) >= 300:
                        enough.set()
            except httpx.TransportError:
                return  # the doomed server was killed mid-request

    workers = [threading.Thread(target=traffic, args=(one.url,)) for one in [doomed, survivor] * 3]
    for worker in workers:
        worker.start()
    assert enough.wait(60)
    doomed.process.send_signal(signal.SIGKILL)
    assert doomed.process.wait(10) == -signal.SIGKILL
    done.set()
    for worker in workers:
        worker.join(30)

    latest = {intent["id"]: intent for intent in answered}  # a confirm's answer comes after its create's
    with httpx.Client(base_url=survivor.url, auth=AUTH) as client:
        for intent_id, last in latest.items():
            stored = client.get(f"/v2/payment-intents/{intent_id}").json()
            if last["status"] == "succeeded":
                assert stored == last
            else:  # only the create was answered; its confirm may have been committed unanswered
                assert "client_secret" in last
                shown = {key: value for key, value in last.items() if key != "client_secret"}
                assert stored == shown or (stored["status"] == "succeeded" and stored["id"] == last["id"])
            again = client.post(f"/v2/payment-intents/{intent_id}/confirm", json={"payment_method_id": PM})
            assert again.status_code == (409 if stored["status"] == "succeeded" else 200)
    assert survivor.stop() == 0


def test_postgresql_stopped_under_a_running_sandbox(start_sandbox: StartSandbox, postgres_cluster: Cluster) -> None:
    """PostgreSQL crashes (stop -m immediate): every request is a 503 JSON and changes nothing; restarted, 200 again."""
    url = postgres_cluster.create_database("sandbox")
    sandbox = start_sandbox(url)
    with httpx.Client(base_url=sandbox.url, auth=AUTH, timeout=30) as client:
        intent = _create(client)
        postgres_cluster.stop("immediate")
        answers = [
            client.post("/v2/payment-intents", json={"amount": 1, "currency": "usd"}),
            client.get(f"/v2/payment-intents/{intent['id']}"),
            client.post(f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": PM}),
        ]
        for answer in answers:
            assert answer.status_code == 503
            assert answer.headers["content-type"] == "application/json"
            assert answer.json() == {
                "error": "The database is unavailable; nothing was changed. Retry later",
                "code": "service-unavailable",
            }
        postgres_cluster.start()
        deadline = time.monotonic() + 30  # liveness bound: the pool reconnects within seconds
        while (stored := client.get(f"/v2/payment-intents/{intent['id']}")).status_code == 503:
            assert time.monotonic() < deadline, "the sandbox did not reconnect"
            time.sleep(0.2)
        assert stored.status_code == 200
        assert stored.json()["status"] == "initialized"  # the 503'd confirm changed nothing
        confirmed = client.post(f"/v2/payment-intents/{intent['id']}/confirm", json={"payment_method_id": PM})
        assert confirmed.status_code == 200
    assert sandbox.stop() == 0
    assert _secret(url) not in sandbox.output
    assert sandbox.lines[2:] == [
        f"WARNING dots_sandbox: no connection to PostgreSQL at {parse_database(url).endpoint}; "
        "answering 503 until it is back",
        f"WARNING dots_sandbox: PostgreSQL at {parse_database(url).endpoint} is reachable again",
    ]


def test_help_shows_the_environment_s_database_masked(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names SANDBOX_DB's current value as the default, with its password masked."""
    defaults = Settings(db="postgresql://sandbox:hunter2@db.internal:5432/sandbox")
    with pytest.raises(SystemExit):
        parse_args(["--help"], defaults)
    out = " ".join(capsys.readouterr().out.split())
    assert "postgresql://sandbox:***@db.internal:5432/sandbox" in out
    assert "hunter2" not in out


def test_forward_to_adds_a_receiver_with_the_documented_or_the_environments_secret() -> None:
    """--forward-to URL is SANDBOX_WEBHOOKS' receiver for URL, signed with SANDBOX_WEBHOOK_SECRET or the local
    default (shown, as it is no secret; an environment's secret is only named); a URL listed twice is refused."""
    from dots_sandbox.receiver import DEFAULT_SECRET

    url = "http://127.0.0.1:9/hooks"
    settings = parse_args(["--forward-to", url], Settings(), environ={})
    assert [(receiver.url, receiver.secret) for receiver in settings.webhooks] == [(url, DEFAULT_SECRET)]
    assert forwarding(url, {})[1] == (
        f"forwarding webhooks to {url}, signed with the documented local secret {DEFAULT_SECRET} "
        "(set SANDBOX_WEBHOOK_SECRET for another)"
    )
    secret = "whsec_" + "c2VjcmV0" * 4
    assert (
        parse_args(["--forward-to", url], Settings(), environ={"SANDBOX_WEBHOOK_SECRET": secret}).webhooks[0].secret
        == secret
    )
    assert secret not in forwarding(url, {"SANDBOX_WEBHOOK_SECRET": secret})[1]
    with pytest.raises(SystemExit):
        parse_args(["--forward-to", url], Settings(webhooks=parse_receivers(f"{url}={secret}")), environ={})


def test_forward_to_is_said_after_the_listening_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() hands the runner the forwarding line, which it prints right after the listening line."""
    from dots_sandbox import __main__ as entry

    served: list[tuple[Settings, list[str]]] = []

    def serve(settings: Settings, notes: list[str]) -> int:
        served.append((settings, list(notes)))
        return 0

    monkeypatch.setattr(entry, "serve", serve)
    for name in ("SANDBOX_WEBHOOKS", "SANDBOX_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert entry.main(["--forward-to", "http://127.0.0.1:9/hooks"]) == 0
    [(settings, notes)] = served
    assert [receiver.url for receiver in settings.webhooks] == ["http://127.0.0.1:9/hooks"]
    assert notes == [f"dots sandbox: {forwarding('http://127.0.0.1:9/hooks', {})[1]}"]
