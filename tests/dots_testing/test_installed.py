"""Done-when for the test kit: docs/testing.md's install line and example, in a fresh venv outside the checkout."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tools import wheels

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"
UV = Path(sys.executable).parent / "uv"


def _documented() -> tuple[list[str], str]:
    """The install line's arguments after `pip install`, and the example test file."""
    text = DOC.read_text(encoding="utf-8")
    install = re.search(r"```sh\npip install (.+)\n```", text)
    example = re.search(r"## An example\n.*?```python\n(.*?)```", text, re.DOTALL)
    assert install, "docs/testing.md lost its install line"
    assert example, "docs/testing.md lost its example"
    return shlex.split(install.group(1)), example.group(1)


def test_the_documented_install_runs_the_example_outside_the_checkout(tmp_path: Path) -> None:
    """Wheels built as `make dist` does, installed by the docs' line into a new venv, pass the docs' example
    (success, decline, settle, complete_action, double confirm, every fault) from a folder that is not the checkout;
    and `python -m dots_sandbox` runs there too."""
    dist = tmp_path / "dist"
    assert wheels.main([str(dist)]) == 0
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(ROOT / "generated")],
        check=True,
        capture_output=True,
    )
    arguments, example = _documented()
    targets = [str(path) for argument in arguments for path in _expand(argument, dist)]
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    subprocess.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    install = [str(UV), "pip", "install", "-q", "--python", str(python), "-c", str(ROOT / "requirements.lock")]
    subprocess.run([*install, *targets], check=True, capture_output=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_checkout.py").write_text(example, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"} and not k.startswith("DOTS_")}
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b10 passed\b", run.stdout), run.stdout
    served = subprocess.run(
        [str(python), "-m", "dots_sandbox", "--help"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert served.returncode == 0, served.stderr
    assert "--port" in served.stdout
    where = subprocess.run(
        [str(python), "-c", "from dots_spec.document import SPEC_PATH; print(SPEC_PATH)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)


def _expand(argument: str, dist: Path) -> list[Path | str]:
    """`/path/to/checkout/dist/*.whl` -> the wheels built; any other argument (`pytest`) as it is."""
    if argument.endswith("dist/*.whl"):
        return sorted(dist.glob("*.whl"))
    return [argument]
