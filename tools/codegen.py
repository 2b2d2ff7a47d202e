"""Generate the typed client from openapi.yaml, and check that the committed one is current.

Both `make generate` and `make check-generated` go through :func:`generate`, so the drift gate
compares against exactly what regeneration would write. The generator writes what the spec
determines (models, low-level functions, the resource classes and `Dots` / `AsyncDots`, through
`codegen/templates`); then the hand-written modules of `codegen/sdk/` (errors, retries, sending:
code the spec does not determine) are copied into the package beside them, so the drift gate
covers them too. The package's version is the spec's `info.version` plus the generator's revision
in `codegen/revision.yaml` (`tools.client_version`): generation refuses a spec whose version is not
PEP 440, a revision file counting another `info.version`, and a config that would override the
version. `check` also fails when `generated/` changed since BASE while that version did not (one
version names one package).
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

import yaml

from tools.breaking.git import GateError, default_base
from tools.client_version import REVISION, VersionError, client_version, unbumped_change

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "codegen" / "config.yaml"
TEMPLATES = ROOT / "codegen" / "templates"
SDK = ROOT / "codegen" / "sdk"
PACKAGE = "dots_client"
# The one generator module a hand-written one replaces: dots_client.errors holds the low-level
# functions' exceptions and the SDK's, one hierarchy under DotsError. Any other clash is refused.
REPLACED = frozenset({"errors.py"})
GENERATED = ROOT / "generated"
# --meta pdm writes a pyproject (so the ruff post-hook runs with the generator's own rules and the
# output passes mypy --strict) whose build backend, pdm-backend, is pure Python and pinned in our lock.
META = "pdm"

# Build and tool caches that may appear inside generated/ without anyone editing it.
IGNORED_NAMES = frozenset({"__pycache__", ".pdm-build", ".mypy_cache", ".ruff_cache", "dist", "build"})
IGNORED_SUFFIXES = (".pyc", ".egg-info")

STALE_MESSAGE = "generated/ is stale: run `make generate` and commit"
# The first line of each codegen/sdk module's copy in the package: the file to edit.
COPY_HEADER = "# A copy of codegen/sdk/{name}, written by `make generate`: edit that file, never this copy.\n"
VERSION_OVERRIDE = "package_version_override"


def check_inputs(spec: Path, config: Path = CONFIG, revision: Path = REVISION) -> str:
    """The package version the client gets (`info.version` plus the revision), once the inputs agree.

    Raises SystemExit with the reason when `info.version` is not a three-number PEP 440 version, when
    `revision` counts another `info.version`, or when `config` sets `package_version_override` (the
    version has its two sources: openapi.yaml and codegen/revision.yaml).
    """
    try:
        version = client_version(spec, revision)
    except VersionError as error:
        raise SystemExit(str(error)) from None
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    if VERSION_OVERRIDE in settings:
        raise SystemExit(
            f"{config.name} sets {VERSION_OVERRIDE}: remove it; dots-client's version is {spec.name}'s "
            f"info.version plus the revision in {revision.name} ({version})"
        )
    return str(version)


def generate(spec: Path, output: Path, config: Path = CONFIG, revision: Path = REVISION) -> None:
    """Write the client for `spec` into `output`, replacing whatever was there.

    Raises SystemExit when the inputs disagree (:func:`check_inputs`) or the generator fails or warns.
    """
    version = check_inputs(spec, config, revision)
    if output.exists():
        shutil.rmtree(output)
    bin_dir = Path(sys.executable).parent
    # The generator's post-hooks call `ruff` by name: make sure it is the pinned one in this venv.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--path", str(spec),
        "--config", str(config),
        "--custom-template-path", str(TEMPLATES),
        "--meta", META,
        "--output-path", str(output),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dots-codegen-config-") as tmp:
        # The version is computed, never configured: the committed config refuses an override, and the
        # generator gets one only through this copy.
        settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        run_config = Path(tmp) / config.name
        run_config.write_text(yaml.safe_dump({**settings, VERSION_OVERRIDE: version}), encoding="utf-8")
        cmd[cmd.index(str(config))] = str(run_config)
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    # The generator reports some problems as warnings with exit code 0: treat them as failures,
    # since a client silently missing an endpoint is worse than no client.
    if result.returncode != 0 or "Warning" in result.stdout or not output.exists():
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"openapi-python-client failed on {spec}")
    copy_sdk(SDK, output / PACKAGE)


def copy_sdk(source: Path, package: Path) -> None:
    """Copy the hand-written modules of `source` (`codegen/sdk/*.py`) into the generated `package`,
    each as it is under a first line (`COPY_HEADER`) naming the file to edit.

    Raises SystemExit when one would replace a generated module other than those in `REPLACED`
    (a template and a hand-written module must not both claim a file).
    """
    for module in sorted(source.glob("*.py")):
        target = package / module.name
        if target.exists() and module.name not in REPLACED:
            raise SystemExit(f"codegen/sdk/{module.name} would replace the generated {PACKAGE}/{module.name}")
        target.write_text(COPY_HEADER.format(name=module.name) + module.read_text(encoding="utf-8"), encoding="utf-8")


def _is_ignored(path: Path) -> bool:
    return any(part in IGNORED_NAMES or part.endswith(IGNORED_SUFFIXES) for part in path.parts)


def _files(tree: Path) -> set[Path]:
    if not tree.exists():
        return set()
    return {p.relative_to(tree) for p in tree.rglob("*") if p.is_file() and not _is_ignored(p.relative_to(tree))}


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """Describe how `actual` differs from `expected`: one line per changed, new or missing file; a changed
    copy of a codegen/sdk module names that module (regenerating would discard an edit made to the copy)."""
    want, have = _files(expected), _files(actual)
    problems = [f"missing: {p}" for p in sorted(want - have)]
    problems += [f"unexpected: {p}" for p in sorted(have - want)]
    problems += [
        f"changed: {p}{_source_of(p)}"
        for p in sorted(want & have)
        if not filecmp.cmp(expected / p, actual / p, shallow=False)
    ]
    return problems


def _source_of(path: Path) -> str:
    """` (edit codegen/sdk/NAME ...)` for a copy of a codegen/sdk module in the package, else ``."""
    if path.parent != Path(PACKAGE) or not (SDK / path.name).is_file():
        return ""
    return f" (a copy: edit codegen/sdk/{path.name}, then `make generate`; an edit of the copy is discarded)"


def check(spec: Path, generated: Path, revision: Path = REVISION) -> list[str]:
    """Regenerate `spec` into a temporary directory and compare it with `generated`."""
    with tempfile.TemporaryDirectory(prefix="dots-codegen-") as tmp:
        fresh = Path(tmp) / "generated"
        generate(spec, fresh, revision=revision)
        return diff_trees(fresh, generated)


def check_version(repo: Path, base: str | None) -> tuple[str, str | None]:
    """The ref generated/ was compared with, and why it may not land under its version (None: it may).

    `base` None means origin/main when it exists, else HEAD; the reason is
    :func:`tools.client_version.unbumped_change`'s, with caches ignored as the drift gate ignores them.
    Raises SystemExit when git cannot read the ref.
    """
    try:
        ref = base or default_base(repo)
        return ref, unbumped_change(repo, ref, ignored=_is_ignored)
    except (GateError, VersionError) as error:
        raise SystemExit(f"check-generated: {error}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--output", type=Path, default=GENERATED)
    parser.add_argument("--base", help="with check: the git ref generated/ is compared with (origin/main, else HEAD)")
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
    if args.output.resolve() == GENERATED:
        ref, reason = check_version(ROOT, args.base)
        if reason:
            print(reason)
            return 1
        print(f"{args.output}'s version names one package (compared with {ref})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
