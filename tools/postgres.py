"""A throwaway PostgreSQL cluster from the machine's own server binaries (initdb, pg_ctl).

Used by the tests (one cluster per test session), by `make bench`, and by `make postgres` /
`make serve-postgres`:

    python -m tools.postgres find                  # print the binaries' directory, or fail saying why
    python -m tools.postgres serve                 # start a cluster, print its URL, stop it on Ctrl-C
    python -m tools.postgres run -- CMD [ARG...]   # run CMD with SANDBOX_DB set to a fresh cluster's URL

The binaries are looked up in PG_BIN (a directory), then Debian's /usr/lib/postgresql/*/bin
(newest first), then PATH. The server refuses to run as root: as root, initdb and pg_ctl run as
the `postgres` user (`runuser`), on a data directory that user owns inside a temp directory it
can traverse. The cluster listens on 127.0.0.1 on a free port, with its Unix socket in its data
directory (never the system's /var/run/postgresql), and is removed when stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psycopg
import psycopg.conninfo
from psycopg import sql

SERVER_USER = "postgres"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries on this machine (the message says how to get them)."""


def find_bin() -> Path:
    """The directory holding initdb and pg_ctl; PostgresNotFound when there is none."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in PG_BIN, /usr/lib/postgresql/*/bin or PATH: "
        "run `make postgres-bin` (as root it installs Debian's postgresql package) or set PG_BIN"
    )


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """One throwaway cluster: `start()`, `url()`, `create_database()`, `stop()`, `destroy()`.

    `settings` are server settings given at start (`-c name=value`).
    With `password` set, TCP connections need it (scram-sha-256) and `url()` carries it; without,
    they are trusted. Also a context manager (start, then destroy).
    """

    def __init__(
        self, password: str | None = None, port: int | None = None, settings: Mapping[str, str] | None = None
    ) -> None:
        self.bin = find_bin()
        self.settings = dict(settings or {})
        self.password = password
        self.port = port or free_port()
        self._root = Path(tempfile.mkdtemp(prefix="dots-postgres-"))
        self._root.chmod(0o755)  # the server user must traverse it
        self.data = self._root / "data"
        self._as_server_user = os.geteuid() == 0
        self._initdb()

    def __repr__(self) -> str:
        return f"Cluster(127.0.0.1:{self.port}, {self.data})"

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.destroy()

    def url(self, database: str = "postgres") -> str:
        """`postgresql://postgres[:password]@127.0.0.1:PORT/DATABASE`."""
        userinfo = SUPERUSER if self.password is None else f"{SUPERUSER}:{urllib.parse.quote(self.password, safe='')}"
        return f"postgresql://{userinfo}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server (again, after `stop`) and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "server.log"), "-w",
                  "-t", str(START_TIMEOUT_S), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (clean) or `immediate` (like a crash: no shutdown checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        """Whether the server is up."""
        result = subprocess.run(
            self._command("pg_ctl", "-D", str(self.data), "status"), capture_output=True, check=False
        )
        return result.returncode == 0

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database (a random name unless given); its URL."""
        name = name or f"test_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server if it runs and remove its files."""
        with contextlib.suppress(subprocess.CalledProcessError):
            if self.data.exists() and self.running():
                self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)

    def _initdb(self) -> None:
        self.data.mkdir()
        pwfile = self._root / "pwfile"
        auth = ["--auth-local=trust", "--auth-host=trust"]
        if self.password is not None:
            pwfile.write_text(self.password + "\n", encoding="utf-8")
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        if self._as_server_user:
            user = pwd.getpwnam(SERVER_USER)
            for path in (self.data, pwfile):
                if path.exists():
                    os.chown(path, user.pw_uid, user.pw_gid)
        try:
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--no-sync", "-E", "UTF8", *auth)
        finally:
            pwfile.unlink(missing_ok=True)

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin / tool), *args]
        return ["runuser", "-u", SERVER_USER, "--", *command] if self._as_server_user else command

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(self._command(tool, *args), capture_output=True, text=True, cwd=self._root, check=False)
        if result.returncode != 0:
            log = self.data / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}{tail}")


class ExistingServer:
    """A server someone else runs, reached with an admin URL (a role that may CREATE DATABASE).

    `create_database()` makes a fresh database on it, like `Cluster.create_database()`.
    """

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url

    def __repr__(self) -> str:
        # Who and where, never the password: tools may not import the sandbox's URL masking.
        info = psycopg.conninfo.conninfo_to_dict(self._admin_url)
        where = f"{info.get('user', '')}@{info.get('host', '')}:{info.get('port', '')}/{info.get('dbname', '')}"
        return f"ExistingServer({where!r})"

    def url(self, database: str = "postgres") -> str:
        """The admin URL with its database name replaced."""
        parts = urllib.parse.urlsplit(self._admin_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database (a random name unless given); its URL."""
        name = name or f"test_{secrets.token_hex(6)}"
        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


@contextlib.contextmanager
def throwaway(password: str | None = None, settings: Mapping[str, str] | None = None) -> Iterator[Cluster]:
    """A started cluster (server `settings` such as {"fsync": "off"} passed as -c options), removed on exit."""
    cluster = Cluster(password, settings=settings)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tools.postgres", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("find", help="print the server binaries' directory")
    commands.add_parser("serve", help="start a throwaway cluster, print its URL, stop it on Ctrl-C or SIGTERM")
    run = commands.add_parser("run", help="run a command with SANDBOX_DB set to a fresh cluster's URL")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        if args.command == "find":
            print(find_bin())
            return 0
        with throwaway() as cluster:
            if args.command == "serve":
                # The server commands' convention: `<tool> listening on URL` first, other facts after it.
                print(f"throwaway postgres listening on {cluster.url()}", "Ctrl-C or SIGTERM stops and removes it",
                      sep="\n", flush=True)  # fmt: skip
                signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
                with contextlib.suppress(KeyboardInterrupt):
                    while True:
                        time.sleep(3600)
                return 0
            cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            if not cmd:
                parser.error("run needs a command: python -m tools.postgres run -- CMD [ARG...]")
            child = subprocess.Popen(cmd, env={**os.environ, "SANDBOX_DB": cluster.url()})
            signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
            while True:
                try:
                    return child.wait()
                except KeyboardInterrupt:  # the child got the terminal's SIGINT too: wait for it
                    continue
    except (PostgresNotFound, RuntimeError) as error:
        print(f"postgres: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
