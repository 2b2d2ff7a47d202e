"""What the validating proxy costs per exchange: the same requests to the sandbox, directly and through it.

One sandbox process and one `python -m contract_tests.proxy` process in front of it (as a user
runs it: every exchange judged, the lifecycle rules applied). A retrieve and a create-and-confirm
pair are sent alternately direct and through the proxy on kept-alive connections, so drift in
the machine's load hits both alike; the rows are p50 and p99 milliseconds per exchange, direct as
the baseline. The target is at most 1 ms more than direct at p50.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import httpx

from bench.report import Row
from contract_tests.target import REPO_ROOT, EmbeddedSandbox, Target

CALLS = 2000
TARGET = "p50 <= direct + 1 ms"


def _proxy(target: Target) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "contract_tests.proxy", "--upstream", target.base_url],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    line = process.stdout.readline()  # the first stdout line: `contract proxy listening on URL`
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"the proxy did not start: {process.stderr.read()}")
    return process, line.split("listening on ")[1].split()[0]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def _interleaved(direct: Callable[[], object], proxied: Callable[[], object], calls: int) -> tuple[list[float], ...]:
    timings: tuple[list[float], list[float]] = ([], [])
    for i in range(calls):
        pair = [(direct, timings[0]), (proxied, timings[1])]
        for send, samples in pair if i % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            send()
            samples.append(time.perf_counter() - start)
    return timings


def measure(calls: int = CALLS) -> list[Row]:
    """Rows: retrieve and create-and-confirm, through the proxy (ours) beside direct (baseline), p50 and p99 ms."""
    with EmbeddedSandbox() as target:
        process, url = _proxy(target)
        try:
            with (
                httpx.Client(base_url=target.base_url, auth=target.auth) as direct,
                httpx.Client(base_url=url, auth=target.auth) as proxied,
            ):
                intent = direct.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"}).json()["id"]

                def retrieve(http: httpx.Client) -> Callable[[], object]:
                    return lambda: http.get(f"/v2/payment-intents/{intent}").raise_for_status()

                def create_confirm(http: httpx.Client) -> Callable[[], object]:
                    def send() -> None:
                        created = http.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd"})
                        body = {"payment_method_id": str(uuid.uuid4())}
                        http.post(f"/v2/payment-intents/{created.json()['id']}/confirm", json=body).raise_for_status()

                    return send

                rows = []
                for name, make, per in (("retrieve", retrieve, 1), ("create-and-confirm", create_confirm, 2)):
                    _interleaved(make(direct), make(proxied), max(1, calls // 20))  # warm both paths
                    base, ours = _interleaved(make(direct), make(proxied), calls // per)
                    (base50, base99), (ours50, ours99) = _percentiles(base), _percentiles(ours)
                    overhead = (ours50 - base50) / per
                    notes = f"{overhead:.3f} ms more per exchange at p50 ({calls // per} samples of {per} exchange(s))"
                    rows.append(Row(f"proxy: {name} p50", ours50, base50, "ms", notes, TARGET))
                    rows.append(Row(f"proxy: {name} p99", ours99, base99, "ms", "through the proxy beside direct", ""))
                return rows
        finally:
            process.terminate()
            process.wait(timeout=30)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
