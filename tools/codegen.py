"""Generate the typed client from openapi.yaml, and check that the committed one is current.

Both `make generate` and `make check-generated` go through :func:`generate`, so the drift gate
compares against exactly what regeneration would write.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "codegen" / "config.yaml"
TEMPLATES = ROOT / "codegen" / "templates"
GENERATED = ROOT / "generated"
# --meta pdm writes a pyproject (so the ruff post-hook runs with the generator's own rules and the
# output passes mypy --strict) whose build backend, pdm-backend, is pure Python and pinned in our lock.
META = "pdm"

# Build and tool caches that may appear inside generated/ without anyone editing it.
IGNORED_NAMES = frozenset({"__pycache__", ".pdm-build", ".mypy_cache", ".ruff_cache", "dist", "build"})
IGNORED_SUFFIXES = (".pyc", ".egg-info")

STALE_MESSAGE = "generated/ is stale: run `make generate` and commit"


def generate(spec: Path, output: Path) -> None:
    """Write the client for `spec` into `output`, replacing whatever was there."""
    if output.exists():
        shutil.rmtree(output)
    bin_dir = Path(sys.executable).parent
    # The generator's post-hooks call `ruff` by name: make sure it is the pinned one in this venv.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--path", str(spec),
        "--config", str(CONFIG),
        "--custom-template-path", str(TEMPLATES),
        "--meta", META,
        "--output-path", str(output),
    ]  # fmt: skip
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    # The generator reports some problems as warnings with exit code 0: treat them as failures,
    # since a client silently missing an endpoint is worse than no client.
    if result.returncode != 0 or "Warning" in result.stdout or not output.exists():
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"openapi-python-client failed on {spec}")


def _is_ignored(path: Path) -> bool:
    return any(part in IGNORED_NAMES or part.endswith(IGNORED_SUFFIXES) for part in path.parts)


def _files(tree: Path) -> set[Path]:
    if not tree.exists():
        return set()
    return {p.relative_to(tree) for p in tree.rglob("*") if p.is_file() and not _is_ignored(p.relative_to(tree))}


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """Describe how `actual` differs from `expected`: one line per changed, new or missing file."""
    want, have = _files(expected), _files(actual)
    problems = [f"missing: {p}" for p in sorted(want - have)]
    problems += [f"unexpected: {p}" for p in sorted(have - want)]
    problems += [
        f"changed: {p}" for p in sorted(want & have) if not filecmp.cmp(expected / p, actual / p, shallow=False)
    ]
    return problems


def check(spec: Path, generated: Path) -> list[str]:
    """Regenerate `spec` into a temporary directory and compare it with `generated`."""
    with tempfile.TemporaryDirectory(prefix="dots-codegen-") as tmp:
        fresh = Path(tmp) / "generated"
        generate(spec, fresh)
        return diff_trees(fresh, generated)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--output", type=Path, default=GENERATED)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.spec, args.output)
        print(f"generated {args.output} from {args.spec}")
        return 0
    problems = check(args.spec, args.output)
    if problems:
        print("\n".join(problems))
        print(STALE_MESSAGE)
        return 1
    print(f"{args.output} matches {args.spec}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
