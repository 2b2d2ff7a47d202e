"""`dots-contract suite|proxy` (`python -m contract_tests` here): the installed commands' wiring."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests import command
from contract_tests.target import REPO_ROOT


def test_suite_options_become_the_suites_environment_junit_and_workers(tmp_path: Path) -> None:
    """--base-url, --profile, --seed, --shard set the suite's variables; pytest runs the package (or --group's
    modules) by its own ini."""
    argv = ["--base-url", "http://127.0.0.1:1/api", "--profile", "quick", "--seed", "7", "--shard", "2/4"]
    argv += ["--workers", "auto", "--junit", str(tmp_path / "j.xml"), "--", "-k", "confirm"]
    line, env = command.suite_command(argv, {"DOTS_CLIENT_ID": "me", "CONTRACT_PROFILE": "thorough"})
    assert env == {
        "DOTS_CLIENT_ID": "me",
        "DOTS_BASE_URL": "http://127.0.0.1:1/api",
        "CONTRACT_PROFILE": "quick",
        "CONTRACT_SEED": "7",
        "CONTRACT_SHARD": "2/4",
    }
    assert line[1:4] == ["-m", "pytest", str(command.PACKAGE)]
    assert line[line.index("-c") + 1] == str(command.SUITE_INI)
    assert line[line.index("--rootdir") + 1] == str(command.PACKAGE)
    assert f"--junitxml={tmp_path / 'j.xml'}" in line
    assert line[-4:] == ["-n", "auto", "-k", "confirm"]
    line, env = command.suite_command(["--group", "lifecycle", "--group", "behaviour"], {})
    assert line[3:5] == [str(command.PACKAGE / "test_client_lifecycle.py"), str(command.PACKAGE / "test_behaviour.py")]
    assert "-n" not in line
    assert env == {}  # nothing set: DOTS_BASE_URL from the environment, else the embedded sandbox


def test_the_package_imports_itself_only_relatively() -> None:
    """No module of contract_tests names contract_tests in an import: the wheel ships it as dots_contract."""
    absolute = []
    for path in sorted((REPO_ROOT / "contract_tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            absolute += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "contract_tests"]
    assert absolute == []


def test_without_a_subcommand_it_prints_its_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`dots-contract` alone (or with an unknown word) names the two commands."""
    assert command.main(["lint"]) == 2
    assert "dots-contract suite" in capsys.readouterr().err


def test_python_m_contract_tests_proxy_still_runs() -> None:
    """In the checkout, `python -m contract_tests.proxy` is the same command, its usage under that name."""
    run = subprocess.run(
        [sys.executable, "-m", "contract_tests.proxy", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: python -m contract_tests.proxy")
    assert "--allow-nothing-judged" in run.stdout
