"""`python -m dots_testing [--host H] [--port P] [--forward-to URL]`: a test sandbox for tests in any language.

The same sandbox as the pytest fixtures (in-memory store, fail-next faults, settlement only when
asked), with the kit's routes beside the sandbox's own (dots_testing/routes.py): a test in another
language resets it (`POST /api/sandbox/reset`), queues faults (`POST /api/sandbox/fail-next`),
settles (`POST /api/sandbox/payment-intents/{id}/settle`), moves its clock (`POST /api/sandbox/advance`),
disturbs webhooks (`POST /api/sandbox/disturb-webhooks`), resends one (`POST /api/sandbox/resend-webhook`)
and reads `GET /api/sandbox/requests`.
Prints `dots test sandbox listening on <base_url>` once it accepts connections (the first line
on stdout, flushed, as every server command here prints it). Credentials: DOTS_CLIENT_ID
and DOTS_API_KEY, else the sandbox's documented local defaults. `--forward-to URL` also delivers
the webhooks to URL, as `python -m dots_sandbox --forward-to URL` does (signed with
SANDBOX_WEBHOOK_SECRET or the documented local secret; the line after the listening line says which).
Runs until Ctrl-C (SIGINT) or SIGTERM, then exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

from dots_sandbox.front.listener import listening_line
from dots_testing import running

TOOL = "dots test sandbox"


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 1 (one line on stderr) when it cannot listen.

    A flag or variable the sandbox refuses (`--port 99999`, a DOTS_CLIENT_ID with ':') is a usage error: exit 2.
    """
    parser = argparse.ArgumentParser(prog="python -m dots_testing", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port, 0 for any free one (8080)")
    parser.add_argument(
        "--forward-to", metavar="URL", help="also deliver the webhooks to URL (SANDBOX_WEBHOOK_SECRET signs them)"
    )
    args = parser.parse_args(argv)
    notes, webhooks = [], []
    if args.forward_to is not None:
        from dots_sandbox.__main__ import forwarding  # noqa: PLC0415 (the sandbox only once the flags are read)

        try:
            receiver, note = forwarding(args.forward_to, os.environ)
        except ValueError as error:
            parser.error(str(error))
        notes, webhooks = [f"{TOOL}: {note}"], [receiver]
    credentials = {
        name: os.environ[variable]
        for name, variable in (("client_id", "DOTS_CLIENT_ID"), ("api_key", "DOTS_API_KEY"))
        if os.environ.get(variable)
    }
    settings = {"host": args.host, "port": args.port, "webhooks": tuple(webhooks), **credentials}
    from dots_sandbox.settings import Settings  # noqa: PLC0415 (as above)

    try:  # what the sandbox refuses (a port out of range, a client id with ':') is a usage error, as for dots_sandbox
        Settings(**settings)
    except ValueError as error:
        parser.error(str(error))
    try:
        with _stop_signals() as stop, running(**settings) as sandbox:
            print("\n".join([listening_line(TOOL, sandbox.base_url), *notes]), flush=True)
            stop.wait()
    except OSError as error:  # the address cannot be bound: a port taken, a host not this machine's
        print(f"{TOOL}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs, as `python -m dots_sandbox` stops on either.

    Handlers of its own, installed before the listening line: a shell starts a background job with
    SIGINT ignored (Python then raises no KeyboardInterrupt), and SIGTERM, what most harnesses
    send, would otherwise end the process without its clean stop.
    """
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    raise SystemExit(main())
