"""The local receiver: verifies each delivery with svix, prints it, lists what it saw; as a real process too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dots_sandbox.background import webhooks
from dots_sandbox.receiver import DEFAULT_SECRET, MAX_BODY_BYTES, SECRET_VAR, LocalReceiver, ReceiverServer, main

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


def test_one_server_serves_many_receivers_by_path() -> None:
    """Each mounted path gets its own deliveries; an unmounted or unknown path is 404; GET is 405 unless served."""
    got: dict[str, list[bytes]] = {"a": [], "b": []}

    def keeper(name: str, status: int) -> Callable[[bytes, dict[str, str]], int]:
        def keep(body: bytes, headers: dict[str, str]) -> int:
            got[name].append(body)
            return status

        return keep

    server = ReceiverServer().start()
    http = httpx.Client()
    try:
        url_a = server.mount("/a", keeper("a", 204))
        url_b = server.mount("/b", keeper("b", 503), lambda: b"b's page")
        assert http.post(url_a + "?x=1", content=b"1").status_code == 204  # the query is not the path
        assert http.post(url_b, content=b"2").status_code == 503
        assert http.post(server.url("/c"), content=b"3").status_code == 404
        assert (http.get(url_a).status_code, http.get(url_b).text) == (405, "b's page")
        server.unmount("/a")
        assert http.post(url_a, content=b"4").status_code == 404
        assert got == {"a": [b"1"], "b": [b"2"]}
        too_big = http.post(url_b, content=b"x" * (MAX_BODY_BYTES + 1))
        assert too_big.status_code == 413
        with pytest.raises(ValueError, match="mounted"):
            server.mount("/b", lambda body, headers: 204)
        with pytest.raises(ValueError, match="starts with"):
            server.mount("b", lambda body, headers: 204)
    finally:
        http.close()
        server.stop()


def test_the_local_receiver_is_the_root_of_a_shared_server() -> None:
    """LocalReceiver takes every path no other mount claims, beside a receiver mounted on its server."""
    printed: list[str] = []
    receiver = LocalReceiver(DEFAULT_SECRET, on_line=printed.append).start()
    http = httpx.Client()
    try:
        other = receiver.server.mount("/other", lambda body, headers: 202)
        body, headers = _delivery(DEFAULT_SECRET)
        assert http.post(receiver.url + "any/path", content=body, headers=headers).status_code == 204
        assert http.post(other, content=body, headers=headers).status_code == 202
        assert len(printed) == 1
    finally:
        http.close()
        receiver.stop()


@pytest.mark.parametrize("length", ["abc", "-5", "1,2", "²"])
def test_a_content_length_that_is_not_a_number_is_answered_400(length: str) -> None:
    """Content-Length must be digits (RFC 9110 section 8.6): anything else is a 400, never a dropped connection."""
    got: list[bytes] = []

    def keep(body: bytes, headers: dict[str, str]) -> int:
        got.append(body)
        return 204

    server = ReceiverServer().start()
    try:
        server.mount("/a", keep)
        host, port = server.url("/a").split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(f"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
            answer = connection.recv(1024)
    finally:
        server.stop()
    assert answer.split(b"\r\n")[0].split(b" ")[1] == b"400"
    assert got == []


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
