"""The server under test: `DOTS_BASE_URL` with its credentials, or the embedded sandbox.

`from_env` reads the target a user names; `EmbeddedSandbox` starts this repository's sandbox as
a real process (`python -m dots_sandbox`) on a free port with a fresh in-memory database and
credentials made up for the run, and stops it again.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BASE_URL_VAR = "DOTS_BASE_URL"
CLIENT_ID_VAR = "DOTS_CLIENT_ID"
API_KEY_VAR = "DOTS_API_KEY"
# The sandbox's documented local defaults, used when DOTS_BASE_URL is set without credentials.
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_API_KEY = "sandbox-api-key"
_URL = re.compile(r"https?://\S+")


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """Where the suite sends requests, and the credentials it sends (never in the repr)."""

    base_url: str
    client_id: str
    api_key: str = dataclasses.field(repr=False)
    description: str = ""
    embedded: bool = False

    @property
    def auth(self) -> tuple[str, str]:
        """(user name, password) for HTTP Basic."""
        return (self.client_id, self.api_key)

    @property
    def authorization(self) -> str:
        """The Authorization header value."""
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.api_key}".encode()).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """The strings no output may show: the API key and the Basic token made from it."""
        return (self.api_key, self.authorization.removeprefix("Basic "))


def from_env(environ: Mapping[str, str] = os.environ) -> Target | None:
    """The target `DOTS_BASE_URL` names (credentials from DOTS_CLIENT_ID / DOTS_API_KEY), or None."""
    base_url = environ.get(BASE_URL_VAR, "").strip()
    if not base_url:
        return None
    if not _URL.fullmatch(base_url):
        raise ValueError(f"{BASE_URL_VAR} must be an http(s) URL such as http://127.0.0.1:8080/api")
    has_id, has_key = bool(environ.get(CLIENT_ID_VAR)), bool(environ.get(API_KEY_VAR))
    if has_id != has_key:
        raise ValueError(f"set both {CLIENT_ID_VAR} and {API_KEY_VAR}, or neither (the sandbox defaults)")
    return Target(
        base_url=base_url.rstrip("/"),
        client_id=environ.get(CLIENT_ID_VAR) or SANDBOX_CLIENT_ID,
        api_key=environ.get(API_KEY_VAR) or SANDBOX_API_KEY,
        description=f"{BASE_URL_VAR}={base_url.rstrip('/')}"
        + ("" if has_id else f" (credentials: the sandbox defaults; {CLIENT_ID_VAR}/{API_KEY_VAR} unset)"),
    )


def preflight(target: Target, timeout: float = 15.0) -> str | None:
    """Why the suite cannot run against `target` (unreachable, credentials refused), or None.

    Sends one GET for an id nothing was created with; any answer but 401/403 means the server is
    there and takes the credentials.
    """
    url = f"{target.base_url}/v2/payment-intents/00000000-0000-4000-8000-000000000000"
    try:
        response = httpx.get(url, auth=target.auth, timeout=timeout)
    except httpx.HTTPError as error:
        return f"cannot reach {target.base_url} ({type(error).__name__}: {error}); is the server running?"
    if response.status_code in (401, 403):
        return (
            f"{target.base_url} answered {response.status_code} to the credentials in "
            f"{CLIENT_ID_VAR} / {API_KEY_VAR}: check them"
        )
    return None


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Return once `host:port` accepts connections; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s") from None
            time.sleep(0.05)


class SandboxProcess:
    """`python -m dots_sandbox --host 127.0.0.1 --port 0 --db DB [ARGS]` as a child process.

    Its output (stdout and stderr) is drained in the background into `lines`; `url` is the one its
    startup line names (port 0: the sandbox binds a free port itself, so there is no race). `env`
    is the child's whole environment: credentials go there, never on the command line. The
    sandbox runs on this interpreter, or on the one `SANDBOX_PYTHON` names: a server has its own
    environment, so the client's tests on another Python (`make test-client`) still reach one.
    """

    def __init__(
        self, db: str, env: Mapping[str, str], args: tuple[str, ...] = (), startup_timeout: float = 30.0
    ) -> None:
        self.db = db
        self.lines: list[str] = []
        self.url = ""
        self._url_seen = threading.Event()
        python = os.environ.get("SANDBOX_PYTHON") or sys.executable
        self.process = subprocess.Popen(
            [python, "-m", "dots_sandbox", "--host", "127.0.0.1", "--port", "0", "--db", db, *args],
            cwd=REPO_ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self._drain = threading.Thread(target=self._read, name="sandbox-output", daemon=True)
        self._drain.start()
        if not self._url_seen.wait(startup_timeout) or not self.url:
            self.kill()
            raise RuntimeError("the sandbox printed no URL:\n" + self.output)

    @property
    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "\n".join(self.lines)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if not self.url and (found := _URL.search(line)):
                self.url = found.group(0)
                self._url_seen.set()
        self._url_seen.set()  # the process ended: stop waiting for a URL it will never print

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send `signum`, wait for the exit and the last output; the exit code (TimeoutExpired if it lingers)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._finish()
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        self._finish()

    def _finish(self) -> None:
        self._drain.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


class EmbeddedSandbox:
    """The sandbox (a SandboxProcess) with a fresh database; a context manager giving its Target.

    The process gets the credentials given (made up for the run when not) through the
    environment; it is stopped with SIGTERM, then SIGKILL if it lingers.
    """

    HOST = "127.0.0.1"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        api_key: str | None = None,
        db: str = ":memory:",
        startup_timeout: float = 30.0,
    ) -> None:
        self.client_id = client_id or f"contract-{secrets.token_hex(4)}"
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.db = db
        self.startup_timeout = startup_timeout
        self._child: SandboxProcess | None = None

    @property
    def process(self) -> subprocess.Popen[str] | None:
        """The running process, None when stopped."""
        return None if self._child is None else self._child.process

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Target:
        """Start the sandbox and wait until it answers on its port."""
        env = {k: v for k, v in os.environ.items() if k not in (BASE_URL_VAR, "SANDBOX_DB")}
        env.update({CLIENT_ID_VAR: self.client_id, API_KEY_VAR: self.api_key})
        deadline = time.monotonic() + self.startup_timeout
        try:
            self._child = SandboxProcess(self.db, env, startup_timeout=self.startup_timeout)
            port = urllib.parse.urlsplit(self._child.url).port
            if port is None:
                raise RuntimeError(f"the sandbox printed a URL without a port: {self._child.url}")
            wait_for_port(self.HOST, port, max(0.1, deadline - time.monotonic()))
        except (RuntimeError, TimeoutError) as exc:
            # A child that printed no URL says so with its output; one that did not answer, here.
            output = "" if self._child is None else "\n" + self._child.output
            self.stop()
            raise RuntimeError(f"the embedded sandbox did not start ({exc}){output}") from None
        return Target(
            base_url=self._child.url.rstrip("/"),
            client_id=self.client_id,
            api_key=self.api_key,
            description=f"embedded sandbox {self._child.url} (fresh {self.db} database)",
            embedded=True,
        )

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); a no-op when not running."""
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stop(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
