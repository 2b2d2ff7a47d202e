"""`python -m dots_testing`: the kit's sandbox as a process, for tests in other languages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dots_sandbox.receiver import DEFAULT_SECRET, LocalReceiver

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
        assert line.startswith("dots_testing: serving http://127.0.0.1:")
        assert process.stdout.readline().startswith(f"dots_testing: forwarding webhooks to {receiver.url}, signed")
        base_url = line.split()[-1]
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
