"""The soak section's parts: only run when named, its receiver, and what it reads of a database."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from bench.__main__ import DEFAULT_SECTIONS, SECTIONS
from bench.soak import _counts, _receiver, _rss_mib, _sqlite_size
from dots_sandbox import lifecycle
from dots_sandbox.store import open_store


def test_soak_runs_only_when_named() -> None:
    """`soak` is a section of `python -m bench`, but not one of those run when none is named."""
    assert "soak" in SECTIONS
    assert "soak" not in DEFAULT_SECTIONS
    assert set(DEFAULT_SECTIONS) == set(SECTIONS) - {"soak"}


def test_the_receiver_answers_every_delivery_204() -> None:
    """The local receiver reads the body and answers 204."""
    with _receiver() as url:
        assert httpx.post(url, content=b'{"event": "payment_intent.updated"}').status_code == 204


def test_it_reads_a_sandbox_database_and_a_process(tmp_path: Path) -> None:
    """Counts of intents, events and pending deliveries, the files' size, and a process's RSS in MiB."""
    db = str(tmp_path / "soak.db")
    store = open_store(db)
    store.add_with(lifecycle.new_intent("c", {"amount": 1, "currency": "usd"})[0], None, None)
    store.close()
    assert _counts(db) == (1, 0, 0)
    assert _sqlite_size(db)() > 0
    assert 1 < _rss_mib(os.getpid()) < 100_000
