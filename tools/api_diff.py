"""The Python API diff of `dots_client`: what users' code names at BASE that the new client changes or drops.

The spec gate (`tools.breaking`) judges the wire; this judges the package users import. Both sides are
read statically by griffe (https://mkdocstrings.github.io/griffe/, `griffe.find_breaking_changes`):
BASE's committed `generated/` straight from git (`griffe.load_git`, a temporary worktree), the new side
from a directory (the working tree's `generated/`, or a regeneration into a temporary one).

**Model constructors.** The models are `attrs` classes (`@_attrs_define`): attrs writes their
`__init__` at import time, so griffe's static loader sees no constructor and would miss a field made
required or a required field added. :class:`AttrsConstructors`, a griffe extension, writes the
constructor attrs would write from the class body (each annotated attribute in order, required unless
it has a default; `_attrs_field(init=False)` left out; a leading `_` dropped, as attrs does; fields of base
classes are not added, since no generated model inherits from another), with every
parameter **keyword-only**: the generated models are built by name in every example and doc, and the
position of a field follows the order of the spec's properties, which the spec does not promise, so a
field moving is not a break while a field gone, renamed or made required is.

What counts as **major** (the Python API breaks for code that names it): a public object (module,
function, class, method, enum member, attribute) removed or turned into another kind, a parameter
removed, a required parameter added, a parameter made required, a positional parameter moved or its
kind changed, a base class removed. Everything else griffe reports (a default, a return type, an
attribute's type or value changed) is **changed**: listed, a minor bump. Private names (a leading `_`)
are not API.
"""

from __future__ import annotations

import ast
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe
import yaml

from dots_spec.document import parse_spec
from dots_spec.version import info_version
from tools.client_version import VersionError, client_version
from tools.codegen import generate

PACKAGE = "dots_client"
# Where the package lives, relative to the repository root.
SEARCH_PATH = "generated"

MAJOR_KINDS = frozenset(
    {
        griffe.BreakageKind.OBJECT_REMOVED,
        griffe.BreakageKind.OBJECT_CHANGED_KIND,
        griffe.BreakageKind.PARAMETER_REMOVED,
        griffe.BreakageKind.PARAMETER_ADDED_REQUIRED,
        griffe.BreakageKind.PARAMETER_CHANGED_REQUIRED,
        griffe.BreakageKind.PARAMETER_MOVED,
        griffe.BreakageKind.PARAMETER_CHANGED_KIND,
        griffe.BreakageKind.CLASS_REMOVED_BASE,
    }
)
# The decorators that make a class an attrs class (as griffe resolves their names).
ATTRS_DECORATORS = frozenset(
    {"attrs.define", "attrs.frozen", "attrs.mutable", "attr.define", "attr.frozen", "attr.mutable", "attr.s"}
)


class ApiDiffError(Exception):
    """The package cannot be read at one side (no such ref, no package there): the message says which."""


@dataclass(frozen=True, order=True)
class ApiChange:
    """One difference in `dots_client`'s public API.

    `major` says whether code that names `path` breaks; `kind` is griffe's breakage kind in kebab case
    (`object-removed`, `parameter-added-required`, ...); `path` the dotted path of the object at BASE
    (`dots_client.models.payment_intent_status.PaymentIntentStatus.REQUIRES_CAPTURE`); `message` one line.
    """

    major: bool
    kind: str
    path: str
    message: str


class AttrsConstructors(griffe.Extension):
    """A griffe extension: give each attrs class the `__init__` attrs would write (see the module's docstring)."""

    def on_class_members(self, *, node: Any, cls: griffe.Class, agent: Any, **kwargs: Any) -> None:
        """Add the keyword-only `__init__` of an attrs class that does not define its own."""
        if "__init__" in cls.members or not any(_is_attrs(decorator) for decorator in cls.decorators):
            return
        parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for name, member in cls.members.items():
            if member.is_alias or not isinstance(member, griffe.Attribute) or member.annotation is None:
                continue
            if "ClassVar" in str(member.annotation):
                continue
            value = None if member.value is None else str(member.value)
            if value is not None and _field_call(value) and "init=False" in value.replace(" ", ""):
                continue
            default = _field_default(value)
            parameters.append(
                griffe.Parameter(
                    name.lstrip("_"),
                    annotation=member.annotation,
                    kind=griffe.ParameterKind.keyword_only,
                    default=default,
                )
            )
        init = griffe.Function("__init__", parameters=griffe.Parameters(*parameters), returns="None")
        cls.set_member("__init__", init)


def _is_attrs(decorator: griffe.Decorator) -> bool:
    try:
        path = decorator.callable_path
    except (AttributeError, ValueError):  # a decorator griffe cannot name
        return False
    return path in ATTRS_DECORATORS


def _field_call(value: str) -> bool:
    callee = value.split("(", 1)[0].rsplit(".", maxsplit=1)[-1]
    return "(" in value and callee in {"_attrs_field", "field", "attrib", "ib"}


def _field_default(value: str | None) -> str | None:
    """The default of a field: its value, or a field() call's `default=`/`factory=` (None: required)."""
    if value is None:
        return None
    if not _field_call(value):
        return value
    try:
        call = ast.parse(value, mode="eval").body
    except SyntaxError:
        return value
    if isinstance(call, ast.Call):
        for keyword in call.keywords:
            if keyword.arg in {"default", "factory"}:
                return ast.unparse(keyword.value)
    return None


def extensions() -> griffe.Extensions:
    """The extensions both sides are loaded with (the same on both, so the comparison is fair)."""
    return griffe.load_extensions(AttrsConstructors)


def load_at(repo: Path, ref: str) -> griffe.Object | griffe.Alias:
    """`dots_client` as committed at `ref` in `repo` (its `generated/`). Raises ApiDiffError when it cannot be read."""
    try:
        return griffe.load_git(
            PACKAGE, ref=ref, repo=repo, search_paths=[SEARCH_PATH], extensions=extensions(), resolve_aliases=False
        )
    except (OSError, RuntimeError, ImportError, ValueError) as error:
        raise ApiDiffError(f"cannot read {PACKAGE} at {ref!r}: {error}") from None


def load_from(generated: Path) -> griffe.Object | griffe.Alias:
    """`dots_client` from the folder `generated` (holding `dots_client/`). Raises ApiDiffError when absent."""
    try:
        return griffe.load(PACKAGE, search_paths=[generated], extensions=extensions(), try_relative_path=False)
    except (OSError, ImportError, ValueError) as error:
        raise ApiDiffError(f"cannot read {PACKAGE} from {generated}: {error}") from None


@contextlib.contextmanager
def regenerated(spec: Path, revision: Path | None = None) -> Iterator[Path]:
    """A folder holding `dots_client` generated from `spec` (a temporary one, removed when the block ends).

    `revision` (a `codegen/revision.yaml`) is used when it counts the spec's own `info.version`; otherwise
    (an edited spec whose version moved) the package is generated as revision 0 of it: the package version
    does not change the API. Raises ApiDiffError when the spec cannot be generated.
    """
    with tempfile.TemporaryDirectory(prefix="dots-api-diff-") as tmp:
        try:
            if revision is None:
                raise VersionError("no revision file")
            client_version(spec, revision)
            counted = revision
        except VersionError:
            counted = Path(tmp) / "revision.yaml"
            try:
                version = info_version(parse_spec(spec.read_text(encoding="utf-8"), str(spec)))
            except (OSError, ValueError, yaml.YAMLError) as error:
                raise ApiDiffError(f"cannot read {spec}: {error}") from None
            counted.write_text(f"info_version: '{version}'\nrevision: 0\n", encoding="utf-8")
        try:
            generate(spec, Path(tmp) / "generated", revision=counted)
        except SystemExit as error:
            raise ApiDiffError(f"cannot generate {PACKAGE} from {spec}: {error}") from None
        yield Path(tmp) / "generated"


def diff(old: griffe.Object | griffe.Alias, new: griffe.Object | griffe.Alias) -> list[ApiChange]:
    """Every public API change from `old` to `new`, the major ones first, each once, sorted by path."""
    found = {_change(breakage) for breakage in _breakages(old, new)}
    return sorted(found, key=lambda change: (not change.major, change.path, change.kind))


def _breakages(old: griffe.Object | griffe.Alias, new: griffe.Object | griffe.Alias) -> Iterator[griffe.Breakage]:
    for breakage in griffe.find_breaking_changes(old, new):
        if not any(part.startswith("_") and not part.startswith("__") for part in breakage.obj.path.split(".")):
            yield breakage


def _change(breakage: griffe.Breakage) -> ApiChange:
    kind = breakage.kind
    path = breakage.obj.path
    message = f"`{path.removeprefix(PACKAGE + '.')}`: {kind.value.lower()}"
    details = _details(breakage)
    if details:
        message += f" ({details})"
    return ApiChange(kind in MAJOR_KINDS, kind.name.lower().replace("_", "-"), path, message)


def _details(breakage: griffe.Breakage) -> str:
    old, new = breakage.old_value, breakage.new_value
    if isinstance(old, griffe.Parameter) or isinstance(new, griffe.Parameter):
        name = getattr(old, "name", None) or getattr(new, "name", "")
        return f"parameter `{name}`"
    if breakage.kind in {griffe.BreakageKind.OBJECT_REMOVED, griffe.BreakageKind.CLASS_REMOVED_BASE}:
        return ""
    if old is None and new is None:
        return ""
    return f"{_shown(old)} -> {_shown(new)}"


def _shown(value: object) -> str:
    text = str(getattr(value, "kind", value) if isinstance(value, griffe.Object) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def bump(changes: list[ApiChange]) -> str:
    """The bump the API changes call for: `major` when one is major, `minor` when there are others, else `none`."""
    if any(change.major for change in changes):
        return "major"
    return "minor" if changes else "none"
