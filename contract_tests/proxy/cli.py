"""`python -m contract_tests.proxy --upstream URL [options] [-- COMMAND ...]`: the validating proxy's command.

It listens on `--host:--port` (default 127.0.0.1 and a free port), prints
`contract proxy listening on URL` as the first line on stdout, flushed (the upstream URL's path
on the proxy's origin: use it as `DOTS_BASE_URL`; a program that starts the proxy reads it),
forwards every request to `--upstream` and judges every exchange; everything else it says goes to
stderr. With `-- COMMAND`, it runs the command in the current directory and environment with
`DOTS_BASE_URL` set to the proxy (and `CONTRACT_PROXY_WEBHOOK_URL` to the webhook listener, if
any), stops when it ends, and exits with the command's status if it failed, else 1 if any
violation was seen or nothing at all was judged, else 0. Without one, it runs until SIGINT or
SIGTERM and exits the same way (1 for a violation or for nothing judged). Either way the reports
are written first. Nothing judged is a failure because it is what a misrouted test run looks like
(its client talked to something else, and every check passed on nothing); `--allow-nothing-judged`
allows it. Under `--strict`, a request that breaks the spec is a violation too (and is answered by
the proxy, never forwarded); under `--fail-request-invalid` it fails the run but is forwarded. With
`--tests-on-stdin` (what the test kit's `pytest --dots-proxy` uses), each line on stdin names the
test now running; the proxy applies it, prints `contract proxy test: NAME` on stdout, and every
exchange that arrives afterwards, and each of its violation lines, names that test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import queue
import signal
import sys
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .forwarding import Exchange, Forwarder
from .reports import Reports
from .verdict import Judge, Record

if TYPE_CHECKING:
    from .webhooks import WebhookJudge

BASE_URL_VAR = "DOTS_BASE_URL"
WEBHOOK_URL_VAR = "CONTRACT_PROXY_WEBHOOK_URL"
SECRET_VAR = "CONTRACT_PROXY_WEBHOOK_SECRET"
LISTENING = "contract proxy listening on"
TESTING = "contract proxy test:"
logger = logging.getLogger(__package__)  # contract_tests.proxy (dots_contract.proxy installed)


def _port(text: str) -> int:
    # Checked here: the socket layer would wrap 99999 round to port 34463 without a word.
    if not (text.isascii() and text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, not {text!r}")
    return int(text)


def parse(argv: Sequence[str], prog: str = "python -m contract_tests.proxy") -> tuple[argparse.Namespace, list[str]]:
    """The options, and the command after `--` (empty when none). Exits 2 on a usage error."""
    argv = list(argv)
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    options = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="the server's base URL, like DOTS_BASE_URL (with /api)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="the port to listen on (default 0: a free one)")
    parser.add_argument("--report", type=Path, metavar="DIR", help="write contract-proxy.ndjson and a JUnit file here")
    parser.add_argument(
        "--strict", action="store_true", help="answer a request that breaks the spec with 400, never forward it"
    )
    parser.add_argument("--webhooks-to", metavar="URL", help="the receiver that webhook deliveries are forwarded to")
    parser.add_argument(
        "--webhook-secret",
        metavar="whsec_...",
        help=f"the receiver endpoint's signing secret (better: {SECRET_VAR} in the environment)",
    )
    parser.add_argument(
        "--webhook-port", type=_port, default=0, help="the webhook listener's port (default: a free one)"
    )
    parser.add_argument(
        "--fail-request-invalid",
        action="store_true",
        help="a request that breaks the spec fails the run, but is still forwarded (--strict refuses it)",
    )
    parser.add_argument(
        "--tests-on-stdin",
        action="store_true",
        help="each line on stdin names the test now running: its exchanges carry it (acknowledged on stdout)",
    )
    parser.add_argument(
        "--allow-nothing-judged",
        action="store_true",
        help="exit 0 even when no exchange was judged (by default that fails: nothing went through the proxy)",
    )
    args = parser.parse_args(options)
    if urllib.parse.urlsplit(args.upstream).scheme not in ("http", "https"):
        parser.error("--upstream must be an http(s) URL such as http://127.0.0.1:8080/api")
    args.webhook_secret = args.webhook_secret or os.environ.get(SECRET_VAR)
    if args.webhooks_to and not (args.webhook_secret or "").startswith("whsec_"):
        parser.error(f"--webhooks-to needs the receiver's whsec_ secret (--webhook-secret or {SECRET_VAR})")
    return args, command


class Proxy:
    """The proxy of one run: the API forwarder, the optional webhook listener, the judge and the reports."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.judge = Judge(urllib.parse.urlsplit(args.upstream).path, strict=args.strict)
        self.reports = Reports(
            args.report,
            strict=args.strict,
            allow_nothing_judged=args.allow_nothing_judged,
            fail_request_invalid=args.fail_request_invalid,
        )
        self.api = Forwarder(args.upstream, gate=self.judge.gate, record=self._exchange, host=args.host)
        self.hooks: Forwarder | None = None
        self.webhook_judge: WebhookJudge | None = None
        # Judging runs on a thread of its own, after the answer went out: the event loop goes back to
        # forwarding at once (a caller's next request does not wait for the last one's verdict).
        self._judged: queue.SimpleQueue[tuple[Callable[[Exchange], None], Exchange] | None] = queue.SimpleQueue()
        self._judging = threading.Thread(target=self._judge_in_order, name="contract-proxy-judge", daemon=True)
        if args.webhooks_to:
            # Imported only when asked for: the svix package takes about a second to import.
            from . import webhooks  # noqa: PLC0415

            self.webhook_judge = webhooks.WebhookJudge(args.webhook_secret, self.judge.history)
            self.hooks = Forwarder(args.webhooks_to, record=self._delivery, host=args.host, rebase=True)

    @property
    def url(self) -> str:
        """The proxy's base URL (the upstream's path on the proxy's origin)."""
        return f"http://{self.args.host}:{self.api.port}{urllib.parse.urlsplit(self.args.upstream).path.rstrip('/')}"

    @property
    def webhook_url(self) -> str | None:
        """Where webhook deliveries go (None without `--webhooks-to`)."""
        return None if self.hooks is None else f"http://{self.args.host}:{self.hooks.port}/"

    def _exchange(self, exchange: Exchange) -> None:
        self._judged.put((self._verdict, exchange))

    def _delivery(self, exchange: Exchange) -> None:
        self._judged.put((self._delivery_verdict, exchange))

    def _verdict(self, exchange: Exchange) -> None:
        try:
            record = self.judge.verdict(exchange)
        except Exception as error:  # recorded as not judgeable, never left out of the record
            logger.exception("contract proxy: judging %s %s failed", exchange.method, exchange.target)
            record = Record(exchange, None, None, None, not_judged=f"the proxy could not judge it ({error!r:.200})")
        self.reports.add(record)

    def _delivery_verdict(self, exchange: Exchange) -> None:
        assert self.webhook_judge is not None
        try:
            event, checks = self.webhook_judge.judge(exchange)
        except Exception as error:  # reported as a delivery not judged, never only logged
            logger.exception("contract proxy: judging the webhook delivery %s failed", exchange.target)
            self.reports.add_delivery(exchange, None, {}, not_judged=f"the proxy could not judge it ({error!r:.200})")
            return
        self.reports.add_delivery(exchange, event, checks)

    def _judge_in_order(self) -> None:
        """The judging thread: every exchange and delivery, in the order their answers ended."""
        while (item := self._judged.get()) is not None:
            judge, exchange = item
            try:
                judge(exchange)
            except Exception:
                logger.exception("contract proxy: judging %s %s failed", exchange.method, exchange.target)

    async def start(self) -> None:
        """Warm the judge up, then listen."""
        self.judge.warm_up()
        await self.api.start(self.args.port)
        if self.hooks is not None:
            await self.hooks.start(self.args.webhook_port)
        # On stdout, first and flushed: what a program that started the proxy waits for (the logs are on stderr).
        print(f"{LISTENING} {self.url} (upstream {self.args.upstream})", flush=True)
        if self.hooks is not None:
            hooks = f"contract proxy webhooks listening on {self.webhook_url} (receiver {self.args.webhooks_to})"
            print(hooks, flush=True)
        self._judging.start()
        if self.args.tests_on_stdin:
            loop = asyncio.get_running_loop()
            threading.Thread(target=self._read_tests, args=(loop,), name="contract-proxy-tests", daemon=True).start()

    def _read_tests(self, loop: asyncio.AbstractEventLoop) -> None:
        """Each line on stdin names the test now running; applied on the event loop, then acknowledged on stdout."""
        for line in sys.stdin:
            loop.call_soon_threadsafe(self._now_testing, line.strip())

    def _now_testing(self, test: str) -> None:
        self.api.test = test
        # Acknowledged once applied: the exchanges the test sends after reading this line carry its name.
        print(f"{TESTING} {test}", flush=True)

    async def stop(self) -> None:
        """Stop listening and write the reports."""
        await self.api.close()
        if self.hooks is not None:
            await self.hooks.close()
        self._judged.put(None)
        await asyncio.to_thread(self._judging.join)
        self.reports.close()
        logger.info("%s", self.reports.summary())
        if self.reports.nothing_judged:
            logger.error("%s", self.reports.nothing_judged_line())


async def run(args: argparse.Namespace, command: list[str]) -> int:
    """Serve until the command ends (or a signal); the exit status (see the module's docstring)."""
    proxy = Proxy(args)
    try:
        await proxy.start()
    except OSError as error:  # the port is taken, the host is not ours
        logger.error("contract proxy: cannot listen on %s: %s", args.host, error)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    child: asyncio.subprocess.Process | None = None

    def on_signal(signum: int) -> None:
        if child is None or child.returncode is not None:
            stop.set()
        elif signum == signal.SIGTERM:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)  # the command ends, then so does the proxy
        # SIGINT is not passed on: the command is in the proxy's process group, so a Ctrl-C reached it
        # already, and a second one would cut its own clean-up short.

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    status = 0
    try:
        if command:
            env = {**os.environ, BASE_URL_VAR: proxy.url}
            if proxy.webhook_url is not None:
                env[WEBHOOK_URL_VAR] = proxy.webhook_url
            try:
                child = await asyncio.create_subprocess_exec(*command, env=env)
            except OSError as error:
                logger.error("contract proxy: cannot run %s: %s", command[0], error)
                status = 127
            else:
                status = await child.wait()
                if status != 0:
                    logger.error("contract proxy: the command exited with status %s", status)
        else:
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await proxy.stop()
    if status != 0:
        return status if status > 0 else 128 - status
    return 1 if proxy.reports.failed else 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m contract_tests.proxy") -> int:
    """Parse, run, and return the exit status (`prog` names the command in usage messages)."""
    args, command = parse(sys.argv[1:] if argv is None else argv, prog)
    # The judging thread holds the GIL for up to this long before the event loop gets it back (default 5 ms).
    sys.setswitchinterval(0.0005)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        import uvloop  # noqa: PLC0415 (optional: the event loop the sandbox uses; asyncio's own otherwise)
    except ImportError:
        return asyncio.run(run(args, command))
    return uvloop.run(run(args, command))
