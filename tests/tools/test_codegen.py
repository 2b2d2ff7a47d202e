"""The drift gate (`make check-generated`): passes on the committed tree, fails on any drift."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from dots_spec.document import load_spec
from tools import codegen
from tools.client_version import read_revision


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client regenerated from the committed spec, in a temporary directory."""
    out = tmp_path_factory.mktemp("fresh") / "generated"
    codegen.generate(codegen.SPEC, out)
    return out


def _copy(tree: Path, tmp_path: Path) -> Path:
    target = tmp_path / "generated"
    shutil.copytree(tree, target)
    return target


def test_committed_client_is_current(fresh: Path) -> None:
    """generated/ is exactly what regeneration writes (the gate CI applies)."""
    assert codegen.diff_trees(fresh, codegen.GENERATED) == []


def test_gate_fails_on_changed_spec(tmp_path: Path, fresh: Path) -> None:
    """Editing a spec copy without regenerating makes the check report changed files."""
    spec = tmp_path / "openapi.yaml"
    text = codegen.SPEC.read_text(encoding="utf-8")
    spec.write_text(text.replace("Amount in cents (1 to 99,999,999).", "Amount in cents, edited."), encoding="utf-8")
    problems = codegen.check(spec, _copy(fresh, tmp_path))
    assert problems
    assert any(p.startswith("changed: ") for p in problems)


def test_gate_fails_on_stray_file(tmp_path: Path, fresh: Path) -> None:
    """A file in generated/ that the generator would not write is reported as unexpected."""
    tree = _copy(fresh, tmp_path)
    (tree / "dots_client" / "patched.py").write_text("x = 1\n", encoding="utf-8")
    assert codegen.diff_trees(fresh, tree) == ["unexpected: dots_client/patched.py"]


def test_gate_fails_on_removed_and_edited_files(tmp_path: Path, fresh: Path) -> None:
    """A deleted file and a hand edit are both reported."""
    tree = _copy(fresh, tmp_path)
    (tree / "dots_client" / "errors.py").unlink()
    with (tree / "dots_client" / "types.py").open("a", encoding="utf-8") as handle:
        handle.write("# hand edit\n")
    assert codegen.diff_trees(fresh, tree) == ["missing: dots_client/errors.py", "changed: dots_client/types.py"]


def test_gate_ignores_caches(tmp_path: Path, fresh: Path) -> None:
    """Bytecode and build caches inside generated/ are not drift."""
    tree = _copy(fresh, tmp_path)
    (tree / "dots_client" / "__pycache__").mkdir(exist_ok=True)
    (tree / "dots_client" / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    assert codegen.diff_trees(fresh, tree) == []


def test_main_prints_the_fix(tmp_path: Path, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command exits 1 and tells the user to run `make generate` and commit."""
    tree = _copy(fresh, tmp_path)
    (tree / "stray.txt").write_text("x", encoding="utf-8")
    assert codegen.main(["check", "--output", str(tree)]) == 1
    assert "run `make generate` and commit" in capsys.readouterr().out


# ---- one version names one package: info.version plus the generator's revision -----------------------------------


def _spec_with_version(tmp_path: Path, version: str) -> Path:
    spec = tmp_path / "openapi.yaml"
    text = codegen.SPEC.read_text(encoding="utf-8")
    current = f"  version: {load_spec()['info']['version']}\n"
    assert current in text
    spec.write_text(text.replace(current, f"  version: '{version}'\n", 1), encoding="utf-8")
    return spec


def _revision(tmp_path: Path, info_version: str, revision: int) -> Path:
    path = tmp_path / "revision.yaml"
    path.write_text(f"info_version: '{info_version}'\nrevision: {revision}\n", encoding="utf-8")
    return path


def test_generated_package_version_is_the_spec_version_and_revision() -> None:
    """generated/pyproject.toml has info.version plus codegen/revision.yaml's revision; the config overrides none."""
    project = tomllib.loads((codegen.GENERATED / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    counted = read_revision()
    assert counted.info_version == load_spec()["info"]["version"]
    assert project["version"] == f"{counted.info_version}.{counted.revision}"
    assert codegen.VERSION_OVERRIDE not in yaml.safe_load(codegen.CONFIG.read_text(encoding="utf-8"))


def test_gate_fails_when_the_spec_version_moves(tmp_path: Path, fresh: Path) -> None:
    """Bumping info.version (revision reset) without regenerating is drift: the package's version would differ."""
    spec = _spec_with_version(tmp_path, "2.0.0")
    assert codegen.check(spec, _copy(fresh, tmp_path), _revision(tmp_path, "2.0.0", 0)) == ["changed: pyproject.toml"]


def test_gate_fails_when_the_revision_moves(tmp_path: Path, fresh: Path) -> None:
    """Raising the revision without regenerating is drift in the package's version alone."""
    counted = read_revision()
    revision = _revision(tmp_path, counted.info_version, counted.revision + 1)
    assert codegen.check(codegen.SPEC, _copy(fresh, tmp_path), revision) == ["changed: pyproject.toml"]


def test_regenerating_carries_the_new_version(tmp_path: Path) -> None:
    """make generate writes info.version with the revision as a fourth number, keeping a pre-release part."""
    out = tmp_path / "generated"
    codegen.generate(_spec_with_version(tmp_path, "2.1.0rc1"), out, revision=_revision(tmp_path, "2.1.0rc1", 0))
    assert 'version = "2.1.0.0rc1"' in (out / "pyproject.toml").read_text(encoding="utf-8")


def test_revision_of_another_info_version_is_refused(tmp_path: Path) -> None:
    """info.version moved but the revision file still counts the old one: refused, saying how to reset it."""
    spec = _spec_with_version(tmp_path, "2.0.0")
    revision = _revision(tmp_path, "1.3.0", 4)
    with pytest.raises(SystemExit, match=r"set `info_version: 2\.0\.0` and `revision: 0`"):
        codegen.generate(spec, tmp_path / "out", revision=revision)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["generate", "check"])
def test_non_pep440_version_is_refused(tmp_path: Path, command: str) -> None:
    """make generate and make check-generated refuse an info.version Python packaging cannot carry, saying why."""
    spec = _spec_with_version(tmp_path, "1.0.x")
    with pytest.raises(SystemExit, match=r"info\.version '1\.0\.x' is not a valid PEP 440 version"):
        codegen.main([command, "--spec", str(spec), "--output", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_version_override_in_config_is_refused(tmp_path: Path) -> None:
    """A package_version_override in the generator config would give the version a third source: refused."""
    config = tmp_path / "config.yaml"
    config.write_text(
        codegen.CONFIG.read_text(encoding="utf-8") + "package_version_override: 9.9.9\n", encoding="utf-8"
    )
    with pytest.raises(SystemExit, match="sets package_version_override: remove it"):
        codegen.generate(codegen.SPEC, tmp_path / "out", config)


# ---- the hand-written SDK modules (codegen/sdk) --------------------------------------------------------------------


def test_hand_written_modules_are_copied_as_they_are(fresh: Path) -> None:
    """Every codegen/sdk module is in the regenerated package as it is, under a first line naming it."""
    modules = sorted(codegen.SDK.glob("*.py"))
    assert {module.name for module in modules} >= {"errors.py", "_base_client.py", "_policy.py", "_retrying.py"}
    for module in modules:
        first, rest = (fresh / codegen.PACKAGE / module.name).read_text(encoding="utf-8").split("\n", 1)
        assert (
            first
            == f"# A copy of codegen/sdk/{module.name}, written by `make generate`: edit that file, never this copy."
        )
        assert rest == module.read_text(encoding="utf-8")


def test_gate_fails_on_a_hand_edit_of_a_copied_module(tmp_path: Path, fresh: Path) -> None:
    """Editing the copy in generated/ instead of codegen/sdk is drift."""
    tree = _copy(fresh, tmp_path)
    with (tree / "dots_client" / "_policy.py").open("a", encoding="utf-8") as handle:
        handle.write("# hand edit\n")
    assert codegen.diff_trees(fresh, tree) == [
        "changed: dots_client/_policy.py (a copy: edit codegen/sdk/_policy.py, then `make generate`; "
        "an edit of the copy is discarded)"
    ]


def test_sdk_module_may_not_replace_a_generated_one(tmp_path: Path) -> None:
    """A codegen/sdk module named like a generated module other than errors.py is refused, not silently written."""
    source, package = tmp_path / "sdk", tmp_path / "package"
    source.mkdir()
    package.mkdir()
    (package / "client.py").write_text("generated = True\n", encoding="utf-8")
    (package / "errors.py").write_text("generated = True\n", encoding="utf-8")
    (source / "errors.py").write_text("hand_written = True\n", encoding="utf-8")
    codegen.copy_sdk(source, package)
    assert (package / "errors.py").read_text(encoding="utf-8").endswith("\nhand_written = True\n")
    (source / "client.py").write_text("hand_written = True\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"codegen/sdk/client\.py would replace the generated dots_client/client\.py"):
        codegen.copy_sdk(source, package)
    assert (package / "client.py").read_text(encoding="utf-8") == "generated = True\n"
