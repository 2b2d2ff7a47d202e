"""The scripted traffic of the proxy's tests: what a small integration's client sends, good and bad.

`python scripted_client.py OUT.json` sends it to DOTS_BASE_URL with DOTS_CLIENT_ID / DOTS_API_KEY
and writes the answers it received (status and body text, in order) to OUT.json; `send()` does the
same in process. The traffic: create with metadata, retrieve, confirm, a second confirm, an
unknown id, a wrong key, a bad body.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import httpx


def send(base_url: str, auth: tuple[str, str]) -> list[tuple[int, str]]:
    """Send the scripted traffic; the (status, body text) of each answer, in order."""
    answers = []
    with httpx.Client(base_url=base_url, auth=auth, timeout=10) as http:
        created = http.post("/v2/payment-intents", json={"amount": 1000, "currency": "usd", "metadata": {"order": "1"}})
        intent = created.json()["id"] if created.status_code == 200 and "id" in created.json() else str(uuid.uuid4())
        responses = [
            created,
            http.get(f"/v2/payment-intents/{intent}"),
            http.post(f"/v2/payment-intents/{intent}/confirm", json={"payment_method_id": str(uuid.uuid4())}),
            http.post(f"/v2/payment-intents/{intent}/confirm", json={"payment_method_id": str(uuid.uuid4())}),
            http.get(f"/v2/payment-intents/{uuid.uuid4()}"),
            http.get(f"/v2/payment-intents/{intent}", auth=(auth[0], "not-the-key")),
            http.post("/v2/payment-intents", json={"amount": "ten", "currency": "usd"}),
        ]
        answers = [(response.status_code, response.text) for response in responses]
    return answers


if __name__ == "__main__":
    received = send(os.environ["DOTS_BASE_URL"], (os.environ["DOTS_CLIENT_ID"], os.environ["DOTS_API_KEY"]))
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(received, out)
