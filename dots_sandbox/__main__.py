"""`python -m dots_sandbox [--host H] [--port P] [--db PATH] [--workers N] [--faults] [limits ...]`.

Serves the sandbox (dots_sandbox/runner.py, on the HTTP front of dots_sandbox/front/: uvicorn
with uvloop and httptools, and the front's limits). Once it listens it prints `dots sandbox
listening on URL` (`--port 0` picks a free port and the line shows it), then `database: ...`
and, with workers, `workers: N`; it logs nothing per request, and stops cleanly (exit 0) on
SIGINT or SIGTERM. A start that fails (the database, the port, the schema) is one line on stderr
and exit 1; a usage error (a flag or variable of the wrong form) is exit 2. Credentials come
only from the environment (DOTS_CLIENT_ID, DOTS_API_KEY) and are never printed. Every flag
overrides its environment variable (docs/sandbox.md lists them).

Stopping: requests still waiting for their body are answered at once (400, connection closed),
and answers in flight get GRACEFUL_SHUTDOWN_SECONDS to finish before uvicorn cancels them.
Requests that are not HTTP/1.1 never reach the app: httptools refuses them and uvicorn answers a
plain-text 400; the warning uvicorn logs for each of those (and for each unsupported `Upgrade`)
is filtered out, so no client can write to the log at will.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence

from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.front.protocol import GRACEFUL_SHUTDOWN_SECONDS
from dots_sandbox.runner import quiet_per_request_warnings, serve
from dots_sandbox.settings import SYNCHRONOUS_LEVELS, Settings

__all__ = ["GRACEFUL_SHUTDOWN_SECONDS", "forwarding", "main", "parse_args", "quiet_per_request_warnings"]

SECRET_VAR = "SANDBOX_WEBHOOK_SECRET"  # noqa: S105 (a variable name)


def forwarding(url: str, environ: Mapping[str, str]) -> tuple[Receiver, str]:
    """The receiver `--forward-to URL` adds, and the words that say so (printed after the listening line).

    Signed with SANDBOX_WEBHOOK_SECRET, else the documented local default secret
    (`dots_sandbox.receiver.DEFAULT_SECRET`, what `make serve-webhooks` uses; not a secret, so the
    line shows it, where a secret of the environment is only named). Raises ValueError for a URL
    that is not http(s) or a malformed secret (never quoting it).
    """
    secret = environ.get(SECRET_VAR)
    if secret:
        how = f"the secret in {SECRET_VAR}"
    else:
        from dots_sandbox.receiver import DEFAULT_SECRET  # noqa: PLC0415 (svix: only when forwarding)

        secret, how = DEFAULT_SECRET, f"the documented local secret {DEFAULT_SECRET} (set {SECRET_VAR} for another)"
    return Receiver(url, secret), f"forwarding webhooks to {url}, signed with {how}"


def parse_args(argv: Sequence[str], defaults: Settings, environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the environment's `defaults`, overridden by the command line (`environ`: where
    `--forward-to` finds SANDBOX_WEBHOOK_SECRET). Exits 2 (argparse) for a bad flag or value."""
    parser = argparse.ArgumentParser(
        prog="python -m dots_sandbox",
        description="Serve the Dots payment-intents sandbox (credentials: DOTS_CLIENT_ID, DOTS_API_KEY).",
    )
    parser.add_argument("--host", default=defaults.host, help=f"address to bind (SANDBOX_HOST; {defaults.host})")
    parser.add_argument(
        "--port", type=int, default=defaults.port, help=f"port, 0 for any free one (SANDBOX_PORT; {defaults.port})"
    )
    parser.add_argument(
        "--db",
        default=defaults.db,
        help=f"SQLite file, :memory:, or postgresql://user:password@host:port/dbname (SANDBOX_DB; {defaults.database})",
    )
    parser.add_argument(
        "--synchronous",
        type=str.upper,
        choices=SYNCHRONOUS_LEVELS,
        default=defaults.synchronous,
        help=f"SQLite synchronous level (SANDBOX_SYNCHRONOUS; {defaults.synchronous})",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        default=defaults.faults,
        help="let requests ask for failures with Prefer: dots-fault=... (SANDBOX_FAULTS; off)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help=f"processes sharing the port; more than 1 needs a database file (SANDBOX_WORKERS; {defaults.workers})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.body_timeout_seconds,
        metavar="SECONDS",
        help=f"for a request body to arrive in full (SANDBOX_BODY_TIMEOUT; {defaults.body_timeout_seconds:g})",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_timeout_seconds,
        metavar="SECONDS",
        help=f"for a request head to arrive in full (SANDBOX_HEADER_TIMEOUT; {defaults.header_timeout_seconds:g})",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=defaults.keep_alive_timeout_seconds,
        metavar="SECONDS",
        help="before an idle connection is closed "
        f"(SANDBOX_KEEP_ALIVE_TIMEOUT; {defaults.keep_alive_timeout_seconds:g})",
    )
    parser.add_argument(
        "--forward-to",
        metavar="URL",
        help="also deliver the webhooks to URL: shorthand for SANDBOX_WEBHOOKS with URL and SANDBOX_WEBHOOK_SECRET "
        "(or the documented local secret), said after the listening line",
    )
    parser.add_argument(
        "--max-header-bytes",
        type=int,
        default=defaults.max_header_bytes,
        metavar="BYTES",
        help=f"largest request head: request line and header fields (SANDBOX_MAX_HEADER_BYTES; "
        f"{defaults.max_header_bytes})",
    )
    args = parser.parse_args(argv)
    try:
        webhooks = defaults.webhooks
        if args.forward_to is not None:
            receiver = forwarding(args.forward_to, environ)[0]
            if any(each.url == receiver.url for each in webhooks):
                raise ValueError(f"--forward-to {receiver.url} is in SANDBOX_WEBHOOKS already")
            webhooks = (*webhooks, receiver)
        return dataclasses.replace(
            defaults,
            webhooks=webhooks,
            host=args.host,
            port=args.port,
            db=args.db,
            synchronous=args.synchronous,
            faults=args.faults,
            body_timeout_seconds=args.body_timeout,
            header_timeout_seconds=args.header_timeout,
            keep_alive_timeout_seconds=args.keep_alive_timeout,
            max_header_bytes=args.max_header_bytes,
            workers=args.workers,
        )
    except ValueError as error:
        parser.error(str(error))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM; the exit code."""
    try:
        defaults = Settings.from_env(os.environ)
    except ValueError as error:
        print(f"dots sandbox: {error}", file=sys.stderr)
        return 2
    settings = parse_args(sys.argv[1:] if argv is None else argv, defaults)
    known = {receiver.url for receiver in defaults.webhooks}
    notes = [
        f"dots sandbox: {forwarding(each.url, os.environ)[1]}" for each in settings.webhooks if each.url not in known
    ]
    return serve(settings, notes)


if __name__ == "__main__":
    sys.exit(main())
