"""noxfile.py: the client's tests run on every Python the generated client claims, from the oldest it allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import noxfile

ROOT = Path(__file__).resolve().parent.parent


def test_sessions_start_at_the_oldest_python_the_client_claims() -> None:
    """generated/pyproject.toml's requires-python lower bound is the first Python the sessions run on."""
    project = tomllib.loads((ROOT / "generated" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lowest = re.fullmatch(r">=\s*(\d+\.\d+)", project["requires-python"])
    assert lowest is not None, project["requires-python"]
    assert noxfile.PYTHONS[0] == lowest.group(1)
    in_order = sorted(noxfile.PYTHONS, key=lambda version: tuple(map(int, version.split("."))))
    assert in_order == noxfile.PYTHONS


def test_every_python_has_a_hashed_lock_without_registry_urls() -> None:
    """Each session's lock pins every package with hashes and names no index."""
    for python in noxfile.PYTHONS:
        lock = (ROOT / "requirements" / f"client-py{python}.lock").read_text(encoding="utf-8")
        pins = re.findall(r"^[A-Za-z0-9_.-]+==\S+ \\$", lock, flags=re.MULTILINE)
        assert pins, python
        assert lock.count("--hash=sha256:") >= len(pins)
        assert "://" not in lock
        assert "--index-url" not in lock


def test_sessions_run_on_every_core_with_xdist_in_each_lock() -> None:
    """The sessions pass pytest-xdist's `-n auto`, and every Python's lock pins pytest-xdist."""
    assert noxfile.WORKERS[:2] == ["-n", "auto"]
    for python in noxfile.PYTHONS:
        lock = (ROOT / "requirements" / f"client-py{python}.lock").read_text(encoding="utf-8")
        assert re.search(r"^pytest-xdist==\S+ \\$", lock, flags=re.MULTILINE), python
