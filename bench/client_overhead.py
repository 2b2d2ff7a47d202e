"""The generated client against raw httpx making the same confirm; `Dots` against the generated function it wraps.

Live: both confirm fresh intents on one live sandbox, interleaved call by call so drift in the
machine's load hits both alike; medians. In-process: both go through `httpx.MockTransport` with
the same canned answer, which isolates what the client adds (building the request, parsing the
model) from the network and the server. `Dots` / `AsyncDots` rows compare the SDK's confirm (its
argument conversion, retry check, error mapping) with the low-level `sync_detailed` /
`asyncio_detailed` it builds on, in the same run; `Dots()` + `close()` is measured against
`httpx.Client()` + `close()` (one SSL context per process, and `close()` builds nothing).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Callable

import httpx
from dots_client import AsyncDots, AuthenticatedClient, Dots
from dots_client.api.payment_intents import confirm_payment_intent
from dots_client.models import ConfirmPaymentIntentRequest, PaymentIntent

from bench.report import Row
from contract_tests.target import EmbeddedSandbox, Target

LIVE_CALLS = 1500
MOCK_CALLS = 20000
LIFECYCLE_CALLS = 200
MOCK_URL = "http://bench.invalid/api"
METHOD_ID = uuid.UUID("3c90c3cc-0d44-4b50-8888-8dd25736052a")
BODY = {"payment_method_id": str(METHOD_ID)}


def _create_intents(http: httpx.Client, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = http.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd", "metadata": {"k": "v"}})
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def _interleaved(ours: Callable[[str], object], raw: Callable[[str], object], ids: list[str]) -> tuple[float, float]:
    """Median seconds per call of each, alternating which goes first."""
    ours_s: list[float] = []
    raw_s: list[float] = []
    for i in range(0, len(ids) - 1, 2):
        pair = [(ours, ours_s, ids[i]), (raw, raw_s, ids[i + 1])]
        for fn, samples, intent_id in pair if i % 4 == 0 else reversed(pair):
            start = time.perf_counter()
            fn(intent_id)
            samples.append(time.perf_counter() - start)
    return statistics.median(ours_s), statistics.median(raw_s)


def _live_sync(target: Target) -> tuple[float, float]:
    client = AuthenticatedClient.basic_auth(target.base_url, target.client_id, target.api_key)
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    with client, httpx.Client(base_url=target.base_url, auth=target.auth) as http:
        ids = _create_intents(http, LIVE_CALLS * 2)
        # The caller's ids are parsed beforehand: that is not the client's cost.
        as_uuid = {intent_id: uuid.UUID(intent_id) for intent_id in ids}

        def ours(intent_id: str) -> object:
            parsed = confirm_payment_intent.sync(as_uuid[intent_id], client=client, body=body)
            assert isinstance(parsed, PaymentIntent)
            return parsed

        def raw(intent_id: str) -> object:
            response = http.post(f"/v2/payment-intents/{intent_id}/confirm", json=BODY)
            assert response.status_code == 200
            return response.json()

        return _interleaved(ours, raw, ids)


async def _live_async(target: Target) -> tuple[float, float]:
    client = AuthenticatedClient.basic_auth(target.base_url, target.client_id, target.api_key)
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    with httpx.Client(base_url=target.base_url, auth=target.auth) as http:
        ids = _create_intents(http, LIVE_CALLS * 2)
    as_uuid = {intent_id: uuid.UUID(intent_id) for intent_id in ids}
    ours_s: list[float] = []
    raw_s: list[float] = []
    async with client, httpx.AsyncClient(base_url=target.base_url, auth=target.auth) as http_async:
        for i in range(0, len(ids) - 1, 2):
            order = [("ours", ids[i]), ("raw", ids[i + 1])]
            for kind, intent_id in order if i % 4 == 0 else reversed(order):
                start = time.perf_counter()
                if kind == "ours":
                    parsed = await confirm_payment_intent.asyncio(as_uuid[intent_id], client=client, body=body)
                    assert isinstance(parsed, PaymentIntent)
                    ours_s.append(time.perf_counter() - start)
                else:
                    response = await http_async.post(f"/v2/payment-intents/{intent_id}/confirm", json=BODY)
                    assert response.status_code == 200
                    response.json()
                    raw_s.append(time.perf_counter() - start)
    return statistics.median(ours_s), statistics.median(raw_s)


def _live_dots_sync(target: Target) -> tuple[float, float]:
    """`Dots.payment_intents.confirm` against the generated `sync_detailed` it wraps, live, each on its own pool."""
    client = AuthenticatedClient.basic_auth(target.base_url, target.client_id, target.api_key)
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    dots = Dots(client_id=target.client_id, api_key=target.api_key, base_url=target.base_url)
    with client, dots, httpx.Client(base_url=target.base_url, auth=target.auth) as http:
        ids = _create_intents(http, LIVE_CALLS * 2)
        as_uuid = {intent_id: uuid.UUID(intent_id) for intent_id in ids}

        def ours(intent_id: str) -> object:
            return dots.payment_intents.confirm(as_uuid[intent_id], payment_method_id=METHOD_ID)

        def generated(intent_id: str) -> object:
            response = confirm_payment_intent.sync_detailed(as_uuid[intent_id], client=client, body=body)
            assert isinstance(response.parsed, PaymentIntent)
            return response

        return _interleaved(ours, generated, ids)


async def _live_dots_async(target: Target) -> tuple[float, float]:
    """`AsyncDots.payment_intents.confirm` against the generated `asyncio_detailed` it wraps, live."""
    client = AuthenticatedClient.basic_auth(target.base_url, target.client_id, target.api_key)
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    with httpx.Client(base_url=target.base_url, auth=target.auth) as http:
        ids = _create_intents(http, LIVE_CALLS * 2)
    as_uuid = {intent_id: uuid.UUID(intent_id) for intent_id in ids}
    ours_s: list[float] = []
    generated_s: list[float] = []
    async with client, AsyncDots(client_id=target.client_id, api_key=target.api_key, base_url=target.base_url) as dots:
        for i in range(0, len(ids) - 1, 2):
            order = [("ours", ids[i]), ("generated", ids[i + 1])]
            for kind, intent_id in order if i % 4 == 0 else reversed(order):
                start = time.perf_counter()
                if kind == "ours":
                    await dots.payment_intents.confirm(as_uuid[intent_id], payment_method_id=METHOD_ID)
                    ours_s.append(time.perf_counter() - start)
                else:
                    response = await confirm_payment_intent.asyncio_detailed(
                        as_uuid[intent_id], client=client, body=body
                    )
                    assert isinstance(response.parsed, PaymentIntent)
                    generated_s.append(time.perf_counter() - start)
    return statistics.median(ours_s), statistics.median(generated_s)


def _mock_answer(intent_id: uuid.UUID) -> httpx.MockTransport:
    answer = json.dumps(
        {"id": str(intent_id), "amount": 1000, "currency": "usd", "status": "succeeded",
         "payment_method_id": str(METHOD_ID), "metadata": {}}
    ).encode()  # fmt: skip
    headers = {"content-type": "application/json"}
    return httpx.MockTransport(lambda request: httpx.Response(200, content=answer, headers=headers))


def _mock_dots_layer() -> tuple[float, float]:
    """Seconds per call through MockTransport: `Dots` confirm vs the generated `sync_detailed` it wraps."""
    intent_id = uuid.uuid4()
    transport = _mock_answer(intent_id)
    client = AuthenticatedClient.basic_auth(MOCK_URL, "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    dots = Dots(client_id="id", api_key="key", base_url=MOCK_URL, http_client=httpx.Client(transport=transport))
    with client, dots:

        def ours(_: str) -> object:
            return dots.payment_intents.confirm(intent_id, payment_method_id=METHOD_ID)

        def generated(_: str) -> object:
            return confirm_payment_intent.sync_detailed(intent_id, client=client, body=body)

        return _interleaved(ours, generated, ["x"] * MOCK_CALLS)


async def _mock_dots_layer_async() -> tuple[float, float]:
    """`_mock_dots_layer` for `AsyncDots` and the generated `asyncio_detailed`."""
    intent_id = uuid.uuid4()
    transport = _mock_answer(intent_id)
    client = AuthenticatedClient.basic_auth(MOCK_URL, "id", "key", httpx_args={"transport": transport})
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    http = httpx.AsyncClient(transport=transport)
    ours_s: list[float] = []
    generated_s: list[float] = []
    async with client, http, AsyncDots(client_id="id", api_key="key", base_url=MOCK_URL, http_client=http) as dots:
        for i in range(MOCK_CALLS // 2):
            for kind in ("ours", "generated") if i % 2 == 0 else ("generated", "ours"):
                start = time.perf_counter()
                if kind == "ours":
                    await dots.payment_intents.confirm(intent_id, payment_method_id=METHOD_ID)
                    ours_s.append(time.perf_counter() - start)
                else:
                    await confirm_payment_intent.asyncio_detailed(intent_id, client=client, body=body)
                    generated_s.append(time.perf_counter() - start)
    return statistics.median(ours_s), statistics.median(generated_s)


def _lifecycle(calls: int = LIFECYCLE_CALLS) -> tuple[float, float]:
    """Seconds per `Dots()` + `close()` for an http:// URL, after the first client of the process, vs
    `httpx.Client()` + `close()` (which builds an SSL context each time, as `close()` once did)."""
    Dots(client_id="id", api_key="key", base_url=MOCK_URL).close()  # the first: the process's one SSL context

    def ours(_: str) -> object:
        Dots(client_id="id", api_key="key", base_url=MOCK_URL).close()
        return None

    def httpx_client(_: str) -> object:
        httpx.Client(base_url=MOCK_URL).close()
        return None

    return _interleaved(ours, httpx_client, ["x"] * calls)


def _mock() -> tuple[float, float]:
    """Seconds per call through MockTransport: the generated client vs httpx + json.loads."""
    intent_id = uuid.uuid4()
    answer = json.dumps(
        {
            "id": str(intent_id), "amount": 1000, "currency": "usd", "status": "succeeded",
            "transfer_id": str(uuid.uuid4()), "payment_method_id": str(METHOD_ID), "metadata": {"k": "v"},
        }
    ).encode()  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    client = AuthenticatedClient.basic_auth(
        "http://bench.invalid/api", "id", "key", httpx_args={"transport": transport}
    )
    body = ConfirmPaymentIntentRequest(payment_method_id=METHOD_ID)
    with client, httpx.Client(base_url=MOCK_URL, auth=("id", "key"), transport=transport) as http:

        def ours(_: str) -> object:
            return confirm_payment_intent.sync(intent_id, client=client, body=body)

        def raw(_: str) -> object:
            return http.post(f"/v2/payment-intents/{intent_id}/confirm", json=BODY).json()

        return _interleaved(ours, raw, ["x"] * MOCK_CALLS)


def measure() -> list[Row]:
    """Client overhead rows: live sync and async, in-process parse overhead, the Dots layer over the generated one."""
    with EmbeddedSandbox(db=":memory:") as target:
        sync_ours, sync_raw = _live_sync(target)
        async_ours, async_raw = asyncio.run(_live_async(target))
        dots_ours, dots_generated = _live_dots_sync(target)
        dots_async_ours, dots_async_generated = asyncio.run(_live_dots_async(target))
    mock_ours, mock_raw = _mock()
    layer_ours, layer_generated = _mock_dots_layer()
    layer_async_ours, layer_async_generated = asyncio.run(_mock_dots_layer_async())
    lifecycle_ours, lifecycle_httpx = _lifecycle()
    live_note = f"confirm on a live sandbox, {LIVE_CALLS} interleaved pairs, median"
    layer_note = f"the SDK layer alone, {MOCK_CALLS // 2} interleaved pairs; layer cost = "
    return [
        Row("client sync vs raw httpx (live)", sync_ours * 1e6, sync_raw * 1e6, "µs/call", live_note, "ratio ≤ 1.05"),
        Row("client async vs raw httpx (live)", async_ours * 1e6, async_raw * 1e6, "µs/call", live_note,
            "ratio ≤ 1.05"),
        Row("client vs raw httpx (MockTransport)", mock_ours * 1e6, mock_raw * 1e6, "µs/call",
            f"in-process, {MOCK_CALLS // 2} interleaved pairs; parse overhead = "
            f"{(mock_ours - mock_raw) * 1e6:.1f} µs/call", "ratio ≤ 1.10"),
        Row("Dots confirm vs generated sync_detailed (live)", dots_ours * 1e6, dots_generated * 1e6, "µs/call",
            live_note, "ratio ≤ 1.05"),
        Row("AsyncDots confirm vs generated asyncio_detailed (live)", dots_async_ours * 1e6,
            dots_async_generated * 1e6, "µs/call", live_note, "ratio ≤ 1.05"),
        Row("Dots confirm vs generated sync_detailed (MockTransport)", layer_ours * 1e6, layer_generated * 1e6,
            "µs/call", f"{layer_note}{(layer_ours - layer_generated) * 1e6:.1f} µs/call", "≤ 10 µs/call"),
        Row("AsyncDots confirm vs generated asyncio_detailed (MockTransport)", layer_async_ours * 1e6,
            layer_async_generated * 1e6, "µs/call",
            f"{layer_note}{(layer_async_ours - layer_async_generated) * 1e6:.1f} µs/call; each attempt runs in a "
            "shielded task of its own (cancellation safety): two loop turns", "≤ 40 µs/call"),
        Row("Dots() + close() vs httpx.Client() + close() (http://)", lifecycle_ours * 1e6, lifecycle_httpx * 1e6,
            "µs/pair", f"after the process's first client, {LIFECYCLE_CALLS // 2} interleaved pairs, median",
            "≤ 1000 µs/pair"),
    ]  # fmt: skip
