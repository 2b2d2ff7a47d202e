"""The dots-spec and dots-sandbox wheels' metadata, as tools/wheels.py writes it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from dots_spec.document import load_spec
from dots_spec.version import package_version
from tools import wheels


def test_the_sandbox_wheel_pins_its_spec_carries_the_uvicorn_bound_and_the_plugin() -> None:
    """dots-sandbox needs dots-spec of its own version and uvicorn 0.54.x; psycopg only as an extra; pytest11 set."""
    projects = {name: tomllib.loads(text)["project"] for name, text in wheels.pyprojects("9.8.7").items()}
    sandbox, spec = projects["dots-sandbox"], projects["dots-spec"]
    assert (sandbox["version"], spec["version"]) == ("9.8.7", "9.8.7")
    assert "dots-spec==9.8.7" in sandbox["dependencies"]
    assert "uvicorn>=0.54,<0.55" in sandbox["dependencies"]
    assert not any(dep.startswith("psycopg") for dep in sandbox["dependencies"] + spec["dependencies"])
    assert sandbox["optional-dependencies"]["postgresql"] == ["psycopg[binary]", "psycopg-pool"]
    assert sandbox["entry-points"]["pytest11"] == {"dots_testing": "dots_testing.plugin"}


def test_the_sandbox_wheel_requires_the_client_its_fixtures_use() -> None:
    """dots-sandbox requires dots-client[webhooks] of its spec version, which the generated client's version meets."""
    version = str(package_version(load_spec()))
    sandbox = tomllib.loads(wheels.pyprojects(version)["dots-sandbox"])["project"]
    (client,) = [Requirement(dep) for dep in sandbox["dependencies"] if dep.startswith("dots-client")]
    assert client.extras == {"webhooks"}
    generated = tomllib.loads((wheels.ROOT / "generated" / "pyproject.toml").read_text(encoding="utf-8"))
    assert client.specifier.contains(generated["project"]["version"])
    assert not client.specifier.contains(f"{version}9")  # another spec version's client does not do
    assert "anyio" in sandbox["dependencies"]  # its pytest plugin runs async_dots


def test_staging_copies_the_spec_into_dots_spec_only(tmp_path: Path) -> None:
    """The staged dots_spec holds openapi.yaml; the checkout's dots_spec/ does not gain one."""
    folders = wheels.stage("1.0.0", tmp_path)
    staged = folders["dots-spec"] / "dots_spec" / "openapi.yaml"
    assert staged.read_bytes() == (wheels.ROOT / "openapi.yaml").read_bytes()
    assert (folders["dots-sandbox"] / "dots_testing" / "plugin.py").is_file()
    assert not (wheels.ROOT / "dots_spec" / "openapi.yaml").exists()


def test_every_staged_package_is_marked_typed(tmp_path: Path) -> None:
    """Each package of every wheel carries PEP 561's py.typed, so users' mypy --strict reads its types."""
    folders = wheels.stage("1.0.0", tmp_path)
    packages = [path.parent for folder in folders.values() for path in folder.glob("*/__init__.py")]
    assert {package.name for package in packages} == {"dots_spec", "dots_sandbox", "dots_testing", "dots_contract"}
    assert all((package / "py.typed").is_file() for package in packages)


def test_the_contract_wheel_pins_its_spec_and_client_and_names_its_command(tmp_path: Path) -> None:
    """dots-contract requires dots-spec and dots-client of its spec version, runs as `dots-contract`, ships
    contract_tests under the name dots_contract with py.typed and the suite's own pytest configuration."""
    contract = tomllib.loads(wheels.pyprojects("9.8.7")["dots-contract"])["project"]
    assert contract["version"] == "9.8.7"
    assert {"dots-spec==9.8.7", "dots-client==9.8.7.*"} <= set(contract["dependencies"])
    assert contract["scripts"] == {"dots-contract": "dots_contract.command:main"}
    staged = wheels.stage("9.8.7", tmp_path)["dots-contract"]
    assert sorted(path.name for path in staged.iterdir()) == ["dots_contract", "pyproject.toml"]
    for name in ("py.typed", "suite-pytest.ini", "durations.json", "test_behaviour.py", "proxy/cli.py"):
        assert (staged / "dots_contract" / name).is_file(), name
