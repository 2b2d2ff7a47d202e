"""Reading BASE: the spec as committed at a git ref, and which ref to default to."""

from __future__ import annotations

import subprocess
from pathlib import Path

DEFAULT_BASES = ("origin/main", "HEAD")


class GateError(Exception):
    """A problem that stops the comparison (bad ref, missing file): exit status 2."""


def run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git -C repo ARGS`, its output as text; never raises for git's own exit status."""
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def is_commit(repo: Path, ref: str) -> bool:
    """Whether `ref` names a commit in `repo`."""
    return run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def default_base(repo: Path) -> str:
    """`origin/main` when the repository has it, else `HEAD`; raises GateError when it has neither."""
    for ref in DEFAULT_BASES:
        if is_commit(repo, ref):
            return ref
    raise GateError(f"none of {', '.join(DEFAULT_BASES)} exists in {repo}: pass --base")


def spec_at(ref: str, spec: Path) -> str:
    """The text of `spec` as committed at `ref` (`git show REF:./openapi.yaml`, run next to the file).

    Raises GateError when git cannot show it (unknown ref, no such file at that ref).
    """
    result = run_git(spec.parent, "show", f"{ref}:./{spec.name}")
    if result.returncode != 0:
        raise GateError(f"cannot read {spec.name} at {ref!r}: {result.stderr.strip()}")
    return result.stdout
