"""ARCHITECTURE.md's import rules hold: its table against every import in the code, and at run time."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
# Our packages and where their code is; tests/ is not ruled (it may import anything).
PACKAGES = {
    "dots_spec": ROOT / "dots_spec",
    "dots_client": ROOT / "generated" / "dots_client",
    "dots_sandbox": ROOT / "dots_sandbox",
    "tools": ROOT / "tools",
    "contract_tests": ROOT / "contract_tests",
    "bench": ROOT / "bench",
    "dots_testing": ROOT / "dots_testing",
}
OURS = frozenset({*PACKAGES, "tests"})
# The packages whose import must never load the sandbox, and what their modules need to import at all:
# the contract suite's test modules read the run in progress, bench/floor_suite.py its own settings.
NO_SANDBOX = ("dots_spec", "dots_client", "tools", "contract_tests", "bench")
# The one package that may import dots_sandbox (the test kit serves it to other projects' tests).
SANDBOX_IMPORTERS = frozenset({"dots_testing"})
# The probe loads the test kit's pytest plugin first, as a pytest run with the kit installed does before it
# collects contract_tests: loading it must load no sandbox module either (its fixtures import lazily).
PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import dots_testing.plugin
    from contract_tests import session
    session.start()
    imported = []
    for name in sys.argv[1:]:
        package = importlib.import_module(name)
        imported.append(name)
        for module in pkgutil.walk_packages(package.__path__, prefix=name + "."):
            if not module.name.endswith(".__main__"):  # __main__ runs the command
                importlib.import_module(module.name)
                imported.append(module.name)
    print(len(imported))
    print(" ".join(sorted(m for m in sys.modules if m == "dots_sandbox" or m.startswith("dots_sandbox."))))
    """
)


def declared_rules(text: str, table: str = "imports") -> dict[str, frozenset[str]]:
    """The table between the `<!-- TABLE:` and `<!-- end TABLE -->` markers: package (or part) -> what it may import."""
    block = re.search(rf"<!-- {table}:.*?-->(.*?)<!-- end {table} -->", text, re.DOTALL)
    assert block, f"ARCHITECTURE.md has no {table} table"
    rules: dict[str, frozenset[str]] = {}
    for line in block.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        allowed = frozenset(re.findall(r"`([a-z_]+)`", cells[1]))
        rules[cells[0].strip("`")] = allowed
    return rules


def first_party_imports(package: str, root: Path) -> dict[str, set[str]]:
    """Our other packages that `root`'s modules import (every import statement, at any depth) -> which files."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:  # relative imports stay inside the package
                continue
            for name in names:
                top = name.split(".")[0]
                if top in OURS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(root.parent)))
    return found


def test_table_names_every_package_once() -> None:
    """The table has one row per package, and allows only packages that exist."""
    rules = declared_rules(ARCHITECTURE.read_text(encoding="utf-8"))
    assert set(rules) == set(PACKAGES)
    assert all(allowed <= set(PACKAGES) for allowed in rules.values())


def test_only_the_test_kit_may_import_the_sandbox() -> None:
    """No row but dots_testing's names dots_sandbox: the server is reached over HTTP by everything else."""
    rules = declared_rules(ARCHITECTURE.read_text(encoding="utf-8"))
    assert {package for package, allowed in rules.items() if "dots_sandbox" in allowed} == SANDBOX_IMPORTERS


def test_every_package_of_ours_is_ruled() -> None:
    """Every importable package in the repository (top level, or one level down as generated/
    holds dots_client) is in the table, so a new package cannot slip past the rules."""
    found = {
        init.parent.name: init.parent
        for pattern in ("*/__init__.py", "*/*/__init__.py")
        for init in ROOT.glob(pattern)
        if not init.parent.name.startswith(".")
        and "tests" not in {init.parent.name, init.parents[1].name}  # the tests are a package, ruled apart
        and init.parents[1].name not in PACKAGES
    }
    assert found == PACKAGES


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_imports_are_exactly_the_tables(package: str) -> None:
    """Each package imports exactly the packages its row names: nothing more, and no stale row."""
    allowed = declared_rules(ARCHITECTURE.read_text(encoding="utf-8"))[package]
    actual = first_party_imports(package, PACKAGES[package])
    forbidden = {name: sorted(files) for name, files in actual.items() if name not in allowed}
    assert not forbidden, f"{package} imports what ARCHITECTURE.md does not allow: {forbidden}"
    assert set(actual) == allowed, f"ARCHITECTURE.md allows {package} imports it no longer makes: update the row"


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Plain, from-, nested and TYPE_CHECKING imports are all found; relative ones and our own are not."""
    package = tmp_path / "tools"
    package.mkdir()
    (package / "a.py").write_text(
        textwrap.dedent(
            """
            import dots_spec.refs
            from typing import TYPE_CHECKING
            from . import b
            from tools import c
            if TYPE_CHECKING:
                from dots_client import models
            def f():
                import dots_sandbox.request.pipeline as sandbox
            """
        ),
        encoding="utf-8",
    )
    assert first_party_imports("tools", package) == {
        "dots_spec": {"tools/a.py"},
        "dots_client": {"tools/a.py"},
        "dots_sandbox": {"tools/a.py"},
    }


def sandbox_part_imports(root: Path) -> dict[str, set[str]]:
    """The sandbox's parts (a subpackage, or a top-level module) -> the other parts each imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        part = relative[0] if len(relative) > 1 else path.stem
        if part == "__init__":
            continue
        found.setdefault(part, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "dots_sandbox":
                names = [f"dots_sandbox.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "dots_sandbox" and len(bits) > 1 and bits[1] != part:
                    found[part].add(bits[1])
    return found


def test_the_sandbox_parts_import_exactly_their_rows() -> None:
    """Inside dots_sandbox, each part has one row, and imports exactly the parts its row names."""
    rules = declared_rules(ARCHITECTURE.read_text(encoding="utf-8"), "sandbox imports")
    actual = sandbox_part_imports(PACKAGES["dots_sandbox"])
    assert set(rules) == set(actual), "a part of the sandbox has no row, or a row names no part"
    wrong = {part: sorted(actual[part] ^ allowed) for part, allowed in rules.items() if actual[part] != allowed}
    assert not wrong, f"dots_sandbox's parts import other than ARCHITECTURE.md says (difference): {wrong}"


def test_the_sandbox_parts_reader_sees_part_imports(tmp_path: Path) -> None:
    """The reader finds `from dots_sandbox import x`, dotted and plain imports, and ignores a part's own."""
    (tmp_path / "front").mkdir()
    (tmp_path / "front" / "a.py").write_text("from dots_sandbox import errors\nimport dots_sandbox.front.b\n")
    (tmp_path / "runner.py").write_text("from dots_sandbox.front.a import x\nimport dots_sandbox.sandbox\n")
    assert sandbox_part_imports(tmp_path) == {"front": {"errors"}, "runner": {"front", "sandbox"}}


# The hand-written code whose module graph may have no circle, each folder with the package name its modules
# are imported by: codegen/sdk/ is copied into generated/dots_client/ by `make generate`.
HAND_WRITTEN = {
    "dots_spec": ROOT / "dots_spec",
    "dots_sandbox": ROOT / "dots_sandbox",
    "dots_testing": ROOT / "dots_testing",
    "contract_tests": ROOT / "contract_tests",
    "tools": ROOT / "tools",
    "bench": ROOT / "bench",
    "dots_client": ROOT / "codegen" / "sdk",
}


def module_graph(folders: Mapping[str, Path]) -> dict[str, set[str]]:
    """Each module of `folders` (package name -> folder) -> the modules among them it imports.

    Every import statement counts, at any depth (inside a function, under TYPE_CHECKING); relative
    ones are resolved. `from package import name` is an import of `package.name` when that is a
    module, else of `package`; an import of a module outside `folders` is left out.
    """
    files: dict[str, Path] = {}
    for package, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def known(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        graph[module] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                continue
            graph[module].update(found for name in names if (found := known(name)) not in (None, module))
    return graph


def import_circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One circle through each group of modules that import one another, as `[a, b, ..., a]` (sorted)."""
    circles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        # The modules `start` reaches, with how; those that reach `start` back are its group.
        reached: dict[str, list[str]] = {start: [start]}
        queue = [start]
        while queue:
            module = queue.pop(0)
            for imported in sorted(graph[module]):
                if imported not in reached:
                    reached[imported] = [*reached[module], imported]
                    queue.append(imported)
        back = [module for module in reached if start in graph[module]]
        if not back:
            continue
        shortest = min(back, key=lambda module: len(reached[module]))
        circle = [*reached[shortest], start]
        circles.append(circle)
        done.update(circle)
    return circles


def test_hand_written_code_has_no_import_circle() -> None:
    """No module of the hand-written packages imports itself back through others (any import counts)."""
    circles = [" -> ".join(circle) for circle in import_circles(module_graph(HAND_WRITTEN))]
    assert not circles, f"import circles: {circles}"


def test_the_circle_finder_names_a_circle(tmp_path: Path) -> None:
    """A circle closed by a function-level or TYPE_CHECKING import is found and named; a chain is not a circle."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .b import B\n")
    (package / "a.py").write_text("from pkg.sub import b\nimport json\n")
    (package / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n")
    (package / "sub" / "c.py").write_text("def f():\n    from .. import a\n")
    (package / "d.py").write_text("import pkg.a\n")
    graph = module_graph({"pkg": package})
    assert graph["pkg.sub"] == {"pkg.sub.b"}
    assert graph["pkg.d"] == {"pkg.a"}
    assert import_circles(graph) == [["pkg.a", "pkg.sub.b", "pkg.sub.c", "pkg.a"]]


def _probe(*packages: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOTS_")}
    env.update({"BENCH_FLOOR_URL": "http://127.0.0.1:9", "CONTRACT_SEED": "1", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *packages], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.splitlines()
    return int(count), loaded


def test_importing_suite_tools_bench_and_spec_loads_no_sandbox_module() -> None:
    """A fresh interpreter that loads the test kit's pytest plugin, then imports every module of dots_spec,
    tools, contract_tests and bench, has no dots_sandbox module in sys.modules."""
    count, loaded = _probe(*NO_SANDBOX)
    modules = sum(1 for name in NO_SANDBOX for _ in PACKAGES[name].rglob("*.py"))
    main_modules = sum(1 for name in NO_SANDBOX for _ in PACKAGES[name].rglob("__main__.py"))
    assert count == modules - main_modules
    assert loaded == ""


def test_the_probe_sees_the_sandbox_when_it_is_imported() -> None:
    """The same probe, told to import dots_sandbox too, reports it (so an empty answer means something)."""
    _, loaded = _probe("dots_spec", "dots_sandbox")
    assert "dots_sandbox.request.pipeline" in loaded.split()
