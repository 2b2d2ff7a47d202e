"""`python -m dots_testing`: the kit's sandbox as a process, for tests in other languages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dots_sandbox.receiver import DEFAULT_SECRET, LocalReceiver
from dots_testing.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_process_serves_the_kit_routes_and_stops_on_sigint() -> None:
    """It prints its URL, answers the kit's routes with the credentials from the environment, forwards the
    webhooks to --forward-to's URL signed with the documented local secret (said on the next line), and
    exits 0 on SIGINT."""
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_WEBHOOK_SECRET"}
    env |= {"DOTS_CLIENT_ID": "shop", "DOTS_API_KEY": "key", "PYTHONPATH": str(ROOT)}
    receiver = LocalReceiver(DEFAULT_SECRET, on_line=lambda line: None).start()
    process = subprocess.Popen(
        [sys.executable, "-m", "dots_testing", "--port", "0", "--forward-to", receiver.url],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("dots test sandbox listening on http://127.0.0.1:")
        forwarding = process.stdout.readline()
        assert forwarding.startswith(f"dots test sandbox: forwarding webhooks to {receiver.url}, signed"), forwarding
        base_url = line.split()[-1]
        assert line == f"dots test sandbox listening on {base_url}\n"
        assert httpx.get(f"{base_url}/sandbox/requests", auth=("shop", "key")).json() == {"data": []}
        assert httpx.get(f"{base_url}/sandbox/requests", auth=("sandbox-client-id", "key")).status_code == 401
        intent = httpx.post(
            f"{base_url}/v2/payment-intents", json={"amount": 1, "currency": "usd"}, auth=("shop", "key")
        )
        confirm = {"payment_method_id": "00000000-0000-4000-8000-000000000002"}
        httpx.post(f"{base_url}/v2/payment-intents/{intent.json()['id']}/confirm", json=confirm, auth=("shop", "key"))
        for _ in range(250):  # sent at once; bounded by 5 s
            if receiver.received:
                break
            time.sleep(0.02)
        assert [entry["verified"] for entry in receiver.received] == [True]
    finally:
        receiver.stop()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_a_port_taken_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """The address cannot be bound: exit 1 and one line on stderr naming it, nothing on stdout, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"dots test sandbox: cannot listen on 127.0.0.1:{port}: ")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "99999"], {}, "port must be 0 to 65535, not 99999"),
        (["--port", "-1"], {}, "port must be 0 to 65535, not -1"),
        ([], {"DOTS_CLIENT_ID": "a:b"}, "DOTS_CLIENT_ID must be non-empty and contain no ':'"),
    ],
)
def test_a_bad_setting_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    """A port out of range or a client id the sandbox refuses: exit 2, the usage and one error line, no traceback."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith(f"python -m dots_testing: error: {message}")
    assert "Traceback" not in err


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a job it starts in the background


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_or_a_background_jobs_sigint_stops_it_cleanly(signum: signal.Signals) -> None:
    """SIGTERM (what most harnesses send) and SIGINT, even when inherited as ignored, stop it: exit 0."""
    env = dict(os.environ) | {"PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "dots_testing", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ignoring_sigint,  # noqa: PLW1509 (no threads in the child before exec)
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("dots test sandbox listening on http://127.0.0.1:")
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
