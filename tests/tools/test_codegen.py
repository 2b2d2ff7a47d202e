"""The drift gate (`make check-generated`): passes on the committed tree, fails on any drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import codegen


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
