"""The local receiver: verifies each delivery with svix, prints it, lists what it saw; as a real process too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from dots_sandbox.background import webhooks
from dots_sandbox.receiver import DEFAULT_SECRET, SECRET_VAR, LocalReceiver, main

REPO_ROOT = Path(__file__).resolve().parents[2]


def _delivery(secret: str, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    body = webhooks.payload(str(uuid.uuid4()))
    headers = webhooks.Signer(secret).headers(webhooks.new_event_id(), body, time.time() if at is None else at)
    return body.encode(), {"content-type": "application/json", **headers}


def test_verified_deliveries_are_printed_and_answered_204() -> None:
    """A genuine delivery is answered 204 and printed as one JSON line; GET / lists the lines."""
    printed: list[str] = []
    receiver = LocalReceiver(DEFAULT_SECRET, on_line=printed.append).start()
    try:
        body, headers = _delivery(DEFAULT_SECRET)
        response = httpx.post(receiver.url, content=body, headers=headers)
        assert response.status_code == 204
        (line,) = printed
        entry = json.loads(line)
        assert entry["verified"] is True
        assert entry["body"] == json.loads(body)
        assert entry["svix-id"] == headers["svix-id"]
        assert httpx.get(receiver.url).text == line + "\n"
    finally:
        receiver.stop()


def test_forged_tampered_or_stale_deliveries_are_refused_400() -> None:
    """Another secret, a changed body or a timestamp 10 minutes old: 400, printed with the reason, not verified."""
    printed: list[str] = []
    receiver = LocalReceiver(DEFAULT_SECRET, on_line=printed.append).start()
    try:
        forged = _delivery("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        body, headers = _delivery(DEFAULT_SECRET)
        tampered = (body.replace(b"payment_intent_id", b"payment_intent_id "), headers)
        stale = _delivery(DEFAULT_SECRET, at=time.time() - 600)
        for content, sent in (forged, tampered, stale):
            assert httpx.post(receiver.url, content=content, headers=sent).status_code == 400
        reasons = [json.loads(line)["error"] for line in printed]
        assert [json.loads(line)["verified"] for line in printed] == [False] * 3
        assert "too old" in reasons[2]
        assert all(DEFAULT_SECRET.removeprefix("whsec_") not in line for line in printed)
    finally:
        receiver.stop()


def test_python_m_dots_sandbox_receiver_prints_its_url_and_each_event() -> None:
    """`python -m dots_sandbox.receiver --port 0` prints where it listens, then one verified line per delivery."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    env = {**os.environ, SECRET_VAR: secret, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dots_sandbox.receiver", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("webhook receiver listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        body, headers = _delivery(secret)
        assert httpx.post(url, content=body, headers=headers).status_code == 204
        line = json.loads(process.stdout.readline())
        assert line["verified"] is True
        assert secret.removeprefix("whsec_") not in first
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("port", ["99999", "-1", "eighty"])
def test_a_port_of_the_wrong_form_is_a_usage_error_not_a_bad_secret(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    """`--port 99999` is exit 2 naming the port; it was taken for a malformed SANDBOX_WEBHOOK_SECRET."""
    with pytest.raises(SystemExit) as exited:
        main(["--port", port])
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"python -m dots_sandbox.receiver: error: argument --port: port must be 0 to 65535, not {port!r}"
    )
