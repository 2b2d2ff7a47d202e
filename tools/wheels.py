"""`make dist`'s server side: the `dots-spec`, `dots-sandbox` and `dots-contract` wheels, built from staged copies.

`openapi.yaml`, `dots_spec/` and `dots_sandbox/` stay where they are in the checkout; each wheel is
built from a temporary folder holding a copy of its packages and a `pyproject.toml`
written here, so the spec is copied into `dots_spec/` only inside the wheel (found there through
`importlib.resources`, dots_spec/document.py). Both carry the spec's `info.version` (the sandbox
implements that version of the spec), and `dots-sandbox` pins `dots-spec` to it. `dots-sandbox`
also ships `dots_testing`, the pytest plugin (entry point `pytest11`), since the kit serves only
this sandbox and must move in lock-step with it; PostgreSQL's driver is the extra `postgresql`.
Every package of both wheels ships a `py.typed` marker (PEP 561), so that `mypy --strict` on a
user's tests reads their types rather than failing `import-untyped`.
The kit's fixtures `dots`, `async_dots` and `dots_webhooks` use the client, so `dots-sandbox`
requires `dots-client[webhooks]` of the same spec version (any generator revision: `==X.Y.Z.*`),
and anyio, whose pytest plugin runs `async_dots`. `dots-contract` is `contract_tests/` staged under
the package name `dots_contract` (its imports of itself are relative, so one copy of the code runs
under either name; a user's own `contract_tests/` folder cannot shadow it), with the console script
`dots-contract`; it pins `dots-spec` and `dots-client` to the same spec version.

    python -m tools.wheels OUTDIR
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dots_spec.document import SPEC_PATH, load_spec
from dots_spec.version import package_version

ROOT = Path(__file__).resolve().parents[1]
BACKEND = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
# The sandbox's own needs (dots_spec's come with dots-spec); the uvicorn series its front subclasses.
SANDBOX_DEPENDENCIES = (
    "uvicorn>=0.54,<0.55",
    "uvloop",
    "httptools",
    "httpx",
    "orjson",
    "uuid-utils",
    "svix",
)
# dots_testing's own needs beyond the sandbox's; the client is pinned to the spec version in pyprojects().
TESTING_DEPENDENCIES = ("anyio",)
POSTGRESQL = ("psycopg[binary]", "psycopg-pool")
SPEC_DEPENDENCIES = ("pyyaml", "jsonschema-rs", "packaging")
# The suite's and the proxy's needs beyond dots-spec and dots-client (README.md, Dependencies).
CONTRACT_DEPENDENCIES = (
    "schemathesis>=4.32,<4.33",  # the suite's conftest adapts 4.32's pytest items
    "hypothesis",
    "pytest",
    "pytest-xdist",
    "httpx",
    "h11",
    "requests",
    "svix",
    "sniffio",
)
# Staged folder name -> the packages it holds: (name in the checkout, name in the wheel).
PACKAGES = {
    "dots-spec": (("dots_spec", "dots_spec"),),
    "dots-sandbox": (("dots_sandbox", "dots_sandbox"), ("dots_testing", "dots_testing")),
    "dots-contract": (("contract_tests", "dots_contract"),),
}


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def testing_dependencies(version: str) -> tuple[str, ...]:
    """What dots_testing needs beyond the sandbox for spec version `version`: the client of that spec, and anyio."""
    return (f"dots-client[webhooks]=={version}.*", *TESTING_DEPENDENCIES)


def pyprojects(version: str) -> dict[str, str]:
    """The wheels' pyproject.toml texts for spec version `version`: distribution name -> text."""
    spec = f"""[project]
name = "dots-spec"
version = "{version}"
description = "The Dots confirm-a-payment-intent OpenAPI spec (openapi.yaml) as data: read, resolved, compiled."
requires-python = ">=3.11"
dependencies = {_toml_list(SPEC_DEPENDENCIES)}

{BACKEND}"""
    sandbox = f"""[project]
name = "dots-sandbox"
version = "{version}"
description = "A stateful local sandbox of the Dots payments API, and dots_testing, its pytest plugin."
requires-python = ">=3.11"
dependencies = {_toml_list((f"dots-spec=={version}", *SANDBOX_DEPENDENCIES, *testing_dependencies(version)))}

[project.optional-dependencies]
postgresql = {_toml_list(POSTGRESQL)}

[project.entry-points.pytest11]
dots_testing = "dots_testing.plugin"

{BACKEND}"""
    contract = f"""[project]
name = "dots-contract"
version = "{version}"
description = "The Dots contract suite and validating proxy: dots-contract suite|proxy."
requires-python = ">=3.11"
dependencies = {_toml_list((f"dots-spec=={version}", f"dots-client=={version}.*", *CONTRACT_DEPENDENCIES))}

[project.scripts]
dots-contract = "dots_contract.command:main"

{BACKEND}"""
    return {"dots-spec": spec, "dots-sandbox": sandbox, "dots-contract": contract}


def stage(version: str, into: Path) -> dict[str, Path]:
    """Folders under `into` (an empty folder), one per wheel, holding its packages and pyproject.toml."""
    folders = {}
    for name, text in pyprojects(version).items():
        folder = into / name
        folder.mkdir(parents=True)
        (folder / "pyproject.toml").write_text(text, encoding="utf-8")
        for package, installed_as in PACKAGES[name]:
            shutil.copytree(ROOT / package, folder / installed_as, ignore=shutil.ignore_patterns("__pycache__"))
            (folder / installed_as / "py.typed").touch()  # PEP 561: the package's inline types are to be used
        folders[name] = folder
    shutil.copyfile(SPEC_PATH, folders["dots-spec"] / "dots_spec" / "openapi.yaml")
    return folders


def main(argv: list[str]) -> int:
    """Build both wheels into argv[0] (python -m build, no isolation: the backend comes from the lock)."""
    outdir = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="dots-wheels-") as staging:
        for folder in stage(str(package_version(load_spec())), Path(staging)).values():
            command = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(outdir), str(folder)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
