"""dots-client's package version: openapi.yaml's `info.version` plus the generator's revision.

The spec changes the client, and so do the generator's inputs in `codegen/` (templates, config, copied
modules). One version must name one package, so the version has a source for each:
`info.version` (the spec's own version, `dots_spec.version`) gives the first three numbers and
`codegen/revision.yaml` a fourth, raised when a `codegen/` change alters `generated/` under the same
spec version and reset to 0 when `info.version` moves (1.3.0 revision 1 is `1.3.0.1`; PEP 440,
https://peps.python.org/pep-0440/#release-segments).

:func:`unbumped_change` is the gate `make check-generated` adds to the drift check: `generated/`
differs from the same files at BASE while the package version is unchanged.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.version import Version

from dots_spec.document import parse_spec
from dots_spec.version import InvalidSpecVersion, package_version
from tools.breaking.git import is_commit, run_git

ROOT = Path(__file__).resolve().parent.parent
REVISION = ROOT / "codegen" / "revision.yaml"


class VersionError(Exception):
    """The version inputs disagree or cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Revision:
    """`codegen/revision.yaml`: which `info.version` the count is of, and the count (0 or more)."""

    info_version: str
    revision: int


def read_revision(path: Path = REVISION) -> Revision:
    """The revision file's two fields. Raises VersionError when either is missing or malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise VersionError(f"cannot read {path.name}: {error}") from None
    info_version, revision = data.get("info_version"), data.get("revision")
    if not isinstance(info_version, str) or type(revision) is not int or revision < 0:
        raise VersionError(
            f"{path.name} needs `info_version: <openapi.yaml's info.version, quoted if YAML would read a number>` "
            "and `revision: <a whole number, 0 or more>`"
        )
    return Revision(info_version, revision)


def client_version(spec: Path, revision_file: Path = REVISION) -> Version:
    """The dots-client version made from `spec`'s `info.version` and `revision_file`.

    Raises VersionError when `info.version` is not PEP 440, is not three release numbers (the fourth
    is the revision's), or is not the `info_version` the revision file counts from (it moved: reset).
    """
    try:
        spec_version = package_version(parse_spec(spec.read_text(encoding="utf-8"), str(spec)))
    except InvalidSpecVersion as error:
        raise VersionError(f"{spec.name}: {error}") from None
    if len(spec_version.release) != 3:
        raise VersionError(
            f"{spec.name}: info.version {spec_version} must have three release numbers (MAJOR.MINOR.PATCH): "
            f"dots-client adds the fourth, the generator's revision in {revision_file.name}"
        )
    counted = read_revision(revision_file)
    if Version(counted.info_version) != spec_version:
        raise VersionError(
            f"{revision_file.name} counts revisions of info.version {counted.info_version}, but {spec.name} has "
            f"{spec_version}: set `info_version: {spec_version}` and `revision: 0` in {revision_file}"
        )
    return with_revision(spec_version, counted.revision)


def with_revision(spec_version: Version, revision: int) -> Version:
    """`spec_version` with `revision` as a fourth release number, its epoch, pre, post, dev and local parts kept."""
    text = f"{spec_version.epoch}!" if spec_version.epoch else ""
    text += ".".join(str(part) for part in (*spec_version.release, revision))
    if spec_version.pre is not None:
        text += f"{spec_version.pre[0]}{spec_version.pre[1]}"
    if spec_version.post is not None:
        text += f".post{spec_version.post}"
    if spec_version.dev is not None:
        text += f".dev{spec_version.dev}"
    if spec_version.local is not None:
        text += f"+{spec_version.local}"
    return Version(text)


def _project_version(pyproject: str) -> str:
    return str(tomllib.loads(pyproject)["project"]["version"])


def changed_since(repo: Path, base: str, folder: str, ignored: Callable[[Path], bool] = lambda _: False) -> list[str]:
    """Files under `folder` (repo-relative) whose working-tree content differs from `base`, new ones included,
    less those `ignored` says are not part of it (caches: `tools.codegen` passes the drift gate's rule)."""
    changed = run_git(repo, "diff", "--name-only", base, "--", folder)
    if changed.returncode != 0:
        raise VersionError(f"git cannot compare {folder} with {base!r}: {changed.stderr.strip()}")
    untracked = run_git(repo, "ls-files", "--others", "--exclude-standard", "--", folder)
    names = set(changed.stdout.split()) | set(untracked.stdout.split())
    return sorted(name for name in names if not ignored(Path(name)))


def unbumped_change(
    repo: Path,
    base: str,
    generated: str = "generated",
    spec: str = "openapi.yaml",
    ignored: Callable[[Path], bool] = lambda _: False,
) -> str | None:
    """Why `generated/` may not land as it is, or None when it may.

    It may not when its files differ from `base` (a git ref) while the package version in
    `generated/pyproject.toml` is the one at `base`: two different packages would carry one version.
    The reason names the file to bump: `openapi.yaml` (info.version) when the spec changed too, else
    `codegen/revision.yaml`. No `generated/pyproject.toml` at `base` (a new package) is no objection.
    Raises VersionError when git cannot read `base`.
    """
    if not is_commit(repo, base):
        raise VersionError(f"{base!r} is not a commit in {repo}: pass BASE=<a ref that exists>")
    old = run_git(repo, "show", f"{base}:{generated}/pyproject.toml")
    if old.returncode != 0:
        return None
    files = changed_since(repo, base, generated, ignored)
    if not files:
        return None
    current = (repo / generated / "pyproject.toml").read_text(encoding="utf-8")
    version = _project_version(current)
    if Version(version) != Version(_project_version(old.stdout)):
        return None
    if changed_since(repo, base, spec):
        fix = f"Raise info.version in {spec} (docs/spec-changes.md says by how much) and reset {REVISION.name}"
    else:
        fix = f"Raise `revision` in codegen/{REVISION.name} by one"
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (
        f"{generated}/ differs from {base} ({shown}) but dots-client's version is still {version}: "
        f"two different packages would carry one version. {fix}, then `make generate` and commit."
    )
