"""`python -m dots_testing [--host H] [--port P] [--forward-to URL]`: a test sandbox for tests in any language.

The same sandbox as the pytest fixtures (in-memory store, fail-next faults, settlement only when
asked), with the kit's routes beside the sandbox's own (dots_testing/routes.py): a test in another
language resets it (`POST /api/sandbox/reset`), queues faults (`POST /api/sandbox/fail-next`),
settles (`POST /api/sandbox/payment-intents/{id}/settle`) and reads `GET /api/sandbox/requests`.
Prints `dots test sandbox listening on <base_url>` once it accepts connections (the first line
on stdout, flushed, as every server command here prints it). Credentials: DOTS_CLIENT_ID
and DOTS_API_KEY, else the sandbox's documented local defaults. `--forward-to URL` also delivers
the webhooks to URL, as `python -m dots_sandbox --forward-to URL` does (signed with
SANDBOX_WEBHOOK_SECRET or the documented local secret; the line after the listening line says which).
Runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading

from dots_testing import running

TOOL = "dots test sandbox"


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted (SIGINT); 0 on a clean stop, 1 (one line on stderr) when it cannot listen.

    A flag or variable of the wrong form (a port outside 0-65535, DOTS_CLIENT_ID with a ':') is
    argparse's usage error: SystemExit(2), the usage and why on stderr.
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
    try:
        with running(host=args.host, port=args.port, webhooks=tuple(webhooks), **credentials) as sandbox:
            print("\n".join([f"{TOOL} listening on {sandbox.base_url}", *notes]), flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    except OSError as error:  # the address cannot be bound: a port taken, a host not this machine's
        print(f"{TOOL}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # a setting the sandbox refuses (--port 99999, DOTS_CLIENT_ID with ':'): usage
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
