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
    ("argv", "environ", "why"),
    [
        (["--port", "99999"], {}, "port must be 0 to 65535, not 99999"),
        (["--port", "0"], {"DOTS_CLIENT_ID": "a:b"}, "DOTS_CLIENT_ID must be non-empty and contain no ':'"),
    ],
    ids=["port-out-of-range", "client-id-with-a-colon"],
)
def test_a_setting_of_the_wrong_form_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    environ: dict[str, str],
    why: str,
) -> None:
    """A flag or variable the sandbox refuses is exit 2 with the usage and why, never a traceback."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    assert err.startswith("usage: python -m dots_testing")
    assert err.splitlines()[-1].startswith(f"python -m dots_testing: error: {why}")
