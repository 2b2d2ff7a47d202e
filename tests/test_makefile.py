"""The Makefile: what `make test` runs and leaves to `make test-matrix` and `make test-nightly`, read from `make -n`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import noxfile

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(*arguments: str, env: dict[str, str] | None = None) -> list[str]:
    """The commands `make -n ARGUMENTS` would run, one per line."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("CLIENT_", "MYPY_"))}
    completed = subprocess.run(
        ["make", "-n", *arguments], cwd=ROOT, env={**environment, **(env or {})}, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return completed.stdout.splitlines()


def _nox(lines: list[str]) -> list[str]:
    return [line for line in lines if "/nox " in line]


def test_make_test_runs_the_unit_tests_but_the_nightly_ones_and_keeps_their_times() -> None:
    """`make test` runs tests/ without the `nightly` marker, writing reports/unit-durations.txt."""
    lines = _dry_run("test")
    unit = [line for line in lines if line.startswith(".venv/bin/pytest tests ")]
    assert len(unit) == 1, lines
    assert "-m 'not nightly'" in unit[0]
    assert "-p tools.durations" in unit[0]
    assert "--durations-file=reports/unit-durations.txt" in unit[0]
    assert any("CONTRACT_PROFILE=ci" in line and "pytest contract_tests" in line for line in lines)


def test_make_test_adds_only_the_newest_python_through_nox() -> None:
    """Beside .venv's 3.11, `make test` runs the client once more, on the newest Python claimed, group at quick."""
    (nox,) = _nox(_dry_run("test"))
    assert nox.split("--python ", 1)[1].split(" --")[0] == noxfile.PYTHONS[-1]
    assert "CONTRACT_PROFILE='quick'" in nox
    assert "--error-on-missing-interpreters" in nox
    assert _nox(_dry_run("test", env={"CLIENT_TEST_PYTHONS": ""})) == []


def test_make_test_matrix_runs_every_python_the_client_claims() -> None:
    """`make test-matrix` runs the nox session on each of noxfile.PYTHONS, client-contract group at `ci`."""
    (nox,) = _nox(_dry_run("test-matrix"))
    assert nox.split("--python ", 1)[1].split(" --")[0].split() == noxfile.PYTHONS
    assert "CONTRACT_PROFILE='ci'" in nox


def test_make_test_nightly_runs_what_make_test_leaves_out() -> None:
    """`make test-nightly` runs the `nightly` tests of tests/, keeping their times in reports/."""
    lines = _dry_run("test-nightly")
    (nightly,) = [line for line in lines if line.startswith(".venv/bin/pytest tests ")]
    assert " -m nightly " in nightly
    assert "--durations-file=reports/nightly-durations.txt" in nightly
    assert "nightly:" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_lint_keeps_the_mypy_cache_outside_the_clone() -> None:
    """mypy's cache is under XDG_CACHE_HOME (else ~/.cache), so a fresh clone on the same machine starts warm."""
    (mypy,) = [line for line in _dry_run("lint", env={"XDG_CACHE_HOME": "/cache-home"}) if "/mypy " in line]
    assert "--cache-dir '/cache-home/dots-confirm-contract/mypy'" in mypy
    (mypy,) = [line for line in _dry_run("lint", env={"MYPY_CACHE_DIR": "/elsewhere"}) if "/mypy " in line]
    assert "--cache-dir '/elsewhere'" in mypy


def test_help_lists_every_target() -> None:
    """Each target of the Makefile has a `## ` line that `make help` prints."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):(?!=)", makefile, flags=re.MULTILINE))
    helped = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    listed = set(re.findall(r"^  make (\S+)", helped, flags=re.MULTILINE))
    assert {"test", "test-client", "test-matrix", "test-nightly", "unit"} <= targets
    assert targets == listed
