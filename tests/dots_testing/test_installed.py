"""Done-when for the test kit: docs/testing.md's install line, worked example and snippets, in a fresh venv.

One venv (the `installed` fixture), then one test per purpose: the example runs, every wheel is
typed (PEP 561), `mypy --strict` passes on the example against the installed wheels.

The wheels are built as `make dist` builds them and installed by the documented line into a new
virtual environment (uv, its cache and `-c requirements.lock`: a few seconds), and the example runs
from a folder outside the checkout, so nothing of the checkout's own packages is imported.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

from tools import wheels

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"
EXAMPLE = ROOT / "examples" / "checkout"
UV = Path(sys.executable).parent / "uv"
# mypy's cache for the example against the installed wheels, beside `make lint`'s (Makefile: MYPY_CACHE_DIR):
# the third-party packages it reads are the same from one run's venv to the next.
MYPY_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dots-confirm-contract" / "mypy-installed"
)
# Where docs/testing.md quotes a file of the example, and a snippet the fresh venv runs as a test file.
QUOTED_FILE = re.compile(r"<!-- example-file: (\S+) -->\n```python\n(.*?)```", re.DOTALL)
SNIPPET = re.compile(r"<!-- testing-snippet: (test_\w+\.py) .*?-->\n```python\n(.*?)```", re.DOTALL)
# Tests written with the two mistakes the kit must catch, run from the wheels beside the example.
MISTAKES = """
def test_a_typo_in_an_operation_name(dots_sandbox):
    assert dots_sandbox.requests("confirm_payment") == []


def test_an_unused_fault(dots_sandbox):
    dots_sandbox.fail_next("confirm_payment_intent", "lose-answer")
"""


def _install_line() -> list[str]:
    """The install line's arguments after `pip install`."""
    install = re.search(r"```sh\npip install (.+)\n```", DOC.read_text(encoding="utf-8"))
    assert install, "docs/testing.md lost its install line"
    return shlex.split(install.group(1))


def test_the_docs_quote_the_example_as_it_is() -> None:
    """docs/testing.md quotes every file of examples/checkout/, each exactly as the repository has it."""
    quoted = dict(QUOTED_FILE.findall(DOC.read_text(encoding="utf-8")))
    assert set(quoted) == {str(path.relative_to(ROOT)) for path in EXAMPLE.glob("*.py")}
    for name, text in quoted.items():
        assert text == (ROOT / name).read_text(encoding="utf-8"), f"docs/testing.md quotes an old {name}"


@dataclasses.dataclass(frozen=True)
class Installed:
    """The one fresh venv: its `python`, the `dist` folder of the wheels installed, and a `project` folder
    outside the checkout holding examples/checkout and the docs' snippets, run with `env`."""

    venv: Path
    python: Path
    dist: Path
    project: Path
    env: dict[str, str]


def test_the_wheels_in_one_fresh_venv(tmp_path: Path) -> None:
    """Wheels built as `make dist` builds them, installed by the docs' line into ONE new venv outside the
    checkout (each build costs seconds, and tests split over xdist workers would build one each), and in it:
    the worked example and the docs' snippets, py.typed in every package, mypy --strict on the example,
    dots-contract's proxy and suite, and the kit's traffic judged through the proxy."""
    installed = _install(tmp_path)
    _the_documented_install_runs_the_example_outside_the_checkout(installed)
    _every_wheel_ships_py_typed(installed)
    _mypy_strict_passes_on_the_worked_example(installed)
    _contract_from_the_wheels(installed.venv, installed.project, installed.env)
    _the_kits_traffic_judged(installed.python, installed.project, installed.env)


def _install(tmp_path: Path) -> Installed:
    """Wheels built as `make dist` builds them, installed by the docs' line into a new venv."""
    dist = tmp_path / "dist"
    assert wheels.main([str(dist)]) == 0
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(ROOT / "generated")],
        check=True,
        capture_output=True,
    )
    targets = [str(path) for argument in _install_line() for path in _expand(argument, dist)]
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    subprocess.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    install = [str(UV), "pip", "install", "-q", "--python", str(python), "-c", str(ROOT / "requirements.lock")]
    subprocess.run([*install, *targets], check=True, capture_output=True)
    project = tmp_path / "project"
    project.mkdir()
    for path in EXAMPLE.glob("*.py"):
        (project / path.name).write_bytes(path.read_bytes())
    snippets = SNIPPET.findall(DOC.read_text(encoding="utf-8"))
    assert len(snippets) == 2, "docs/testing.md lost a snippet"
    for name, text in snippets:
        (project / name).write_text(text, encoding="utf-8")
    (project / "test_mistakes.py").write_text(MISTAKES, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"} and not k.startswith("DOTS_")}
    return Installed(venv, python, dist, project, env)


def _the_documented_install_runs_the_example_outside_the_checkout(installed: Installed) -> None:
    """Wheels built as `make dist` does, installed by the docs' line into a new venv, pass the worked example
    (each outcome, webhooks included) and the docs' snippets from a folder that is not the checkout, and fail
    a typo'd operation name and an unused fault; the kit, the client and the spec come from the venv; and
    `python -m dots_sandbox` runs there too."""
    python, project, env = installed.python, installed.project, installed.env
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-rA"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # The example's 21 items, its 4 malformed-webhook items, the 6 of time and webhook disorder and the 2
    # snippets pass; of the 2 mistakes, the typo fails and the unused fault passes its call but errs at teardown.
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"\b1 failed, 34 passed, 1 error\b", run.stdout), run.stdout
    assert "FAILED test_mistakes.py::test_a_typo_in_an_operation_name" in run.stdout
    assert "ERROR test_mistakes.py::test_an_unused_fault" in run.stdout
    assert "test_checkout.py::test_settles_later_by_webhook" in run.stdout  # the done-when, from the wheels
    assert "PASSED test_checkout_disorder.py::test_time_settles_a_payment" in run.stdout  # advance, disturbances
    assert run.stdout.count("PASSED test_checkout.py::test_every_outcome[") == 10  # 6 outcomes, 4 faults
    assert "PASSED test_checkout.py::test_every_outcome[answer-lost]" in run.stdout
    served = subprocess.run(
        [str(python), "-m", "dots_sandbox", "--help"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert served.returncode == 0, served.stderr
    assert "--port" in served.stdout
    probe = (
        "import dots_client, dots_spec.document, dots_testing\n"
        "print(dots_spec.document.SPEC_PATH, dots_testing.__file__, dots_client.__file__)"
    )
    where = subprocess.run([str(python), "-c", probe], cwd=project, env=env, capture_output=True, text=True, check=True)
    assert all(Path(found).is_relative_to(installed.venv) for found in where.stdout.split())


def _every_wheel_ships_py_typed(installed: Installed) -> None:
    """Each top-level package of each wheel built (dots_client, dots_spec, dots_sandbox, dots_testing,
    dots_contract) has py.typed."""
    packages: dict[str, bool] = {}
    for wheel in sorted(installed.dist.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
        for name in names:
            top = name.split("/", 1)[0]
            if name.endswith("/__init__.py") and name.count("/") == 1:
                packages[top] = f"{top}/py.typed" in names
    assert packages == dict.fromkeys(
        ("dots_client", "dots_spec", "dots_sandbox", "dots_testing", "dots_contract"), True
    )


def _mypy_strict_passes_on_the_worked_example(installed: Installed) -> None:
    """`mypy --strict` on the worked example (examples/checkout), against the installed wheels, passes."""
    run = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--python-executable", str(installed.python),
            "--cache-dir", str(MYPY_CACHE), *sorted(path.name for path in EXAMPLE.glob("*.py")),
        ],
        cwd=installed.project,
        env=installed.env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success: no issues found" in run.stdout


def _contract_from_the_wheels(venv: Path, project: Path, env: dict[str, str]) -> None:
    """dots-contract from the same wheels: the proxy fails a command that sent it nothing; the suite (a smoke:
    the client lifecycle group, quick profile; CI runs it whole) passes against a sandbox started from the wheels."""
    contract = str(venv / "bin" / "dots-contract")
    nothing = subprocess.run(
        [contract, "proxy", "--upstream", "http://127.0.0.1:9/api", "--", "true"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert nothing.returncode == 1, nothing.stdout + nothing.stderr
    assert nothing.stdout.startswith("contract proxy listening on http://127.0.0.1:")
    assert "nothing was judged" in nothing.stderr
    with subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "dots_sandbox", "--port", "0", "--db", ":memory:"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as sandbox:
        try:
            assert sandbox.stdout is not None
            line = sandbox.stdout.readline()
            assert "listening on " in line, line
            base_url = line.split("listening on ")[1].split()[0]
            suite = subprocess.run(
                [contract, "suite", "--base-url", base_url, "--profile", "quick", "--group", "lifecycle"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            sandbox.terminate()
    junit = project / "reports" / "contract-junit.xml"
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "every contract test passed" in suite.stdout
    assert re.search(r'tests="[1-9]\d*" time', junit.read_text(encoding="utf-8"))


FORBIDDEN = """
import httpx


def test_sends_a_request_the_spec_forbids(dots_sandbox):
    sent = httpx.post(dots_sandbox.base_url + "/v2/payment-intents", json={"amount": "ten", "currency": "usd"},
                      auth=(dots_sandbox.client_id, dots_sandbox.api_key))
    assert sent.status_code == 400
    assert len(dots_sandbox.requests("create_payment_intent")) == 1  # forwarded: the journal has it
"""


def _the_kits_traffic_judged(python: Path, project: Path, env: dict[str, str]) -> None:
    """DOTS_TESTING_PROXY=1: the worked example's traffic (a lost answer and a refused retrieve included) is
    judged and conforms; a test that sends a request the spec forbids fails the session's verdict, by name."""
    (project / "test_forbidden.py").write_text(FORBIDDEN, encoding="utf-8")
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-k", "left_unknown or forbidden"],
        cwd=project,
        env={**env, "DOTS_TESTING_PROXY": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"\b1 failed, 2 passed\b", run.stdout), run.stdout  # only the verdict failed
    (summary,) = set(re.findall(r"contract proxy: \d+ exchanges \((.*)\)", run.stdout))  # the verdict's, and the end's
    assert re.search(r"\b[1-9]\d* conforms\b", summary), summary
    assert "violation" not in summary  # faults injected and lost answers are not judged, so not violations
    assert "VIOLATION" not in run.stdout
    assert "request-invalid create_payment_intent" in run.stdout
    assert "[test test_forbidden.py::test_sends_a_request_the_spec_forbids]" in run.stdout


def _expand(argument: str, dist: Path) -> list[Path | str]:
    """`/path/to/checkout/dist/*.whl` -> the wheels built; any other argument (`pytest`) as it is."""
    if argument.endswith("dist/*.whl"):
        return sorted(dist.glob("*.whl"))
    return [argument]
