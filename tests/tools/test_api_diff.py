"""tools/api_diff.py: the Python API diff of dots_client, on small packages written here (no generation)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.tools.breaking.catalogue import git
from tools.api_diff import ApiDiffError, bump, diff, load_at, load_from

# A model as openapi-python-client writes one (attrs makes its __init__), an enum, and an operation module.
MODEL = """
    from attrs import define as _attrs_define
    from attrs import field as _attrs_field

    from ..types import UNSET, Unset


    @_attrs_define
    class CreateRequest:
        amount: int
        currency: str
        {extra}
        description: str | Unset = UNSET
        metadata: dict[str, str] | Unset = UNSET
        additional_properties: dict[str, object] = _attrs_field(init=False, factory=dict)
"""
STATUS = """
    from enum import Enum


    class Status(str, Enum):
        INITIALIZED = "initialized"
        {extra}
"""
OPERATION = """
    def sync(payment_intent_id: str, *, client: object) -> object:
        return client
"""


def write_package(folder: Path, *, model_extra: str = "", status_extra: str = "", operation: str = "create") -> Path:
    """`folder/dots_client` with a model, an enum and one operation module; `folder`."""
    package = folder / "dots_client"
    (package / "models").mkdir(parents=True)
    (package / "api").mkdir()
    (package / "__init__.py").write_text('"""The client."""\n', encoding="utf-8")
    (package / "types.py").write_text("class Unset: ...\n\nUNSET = Unset()\n", encoding="utf-8")
    (package / "models" / "__init__.py").write_text("", encoding="utf-8")
    (package / "api" / "__init__.py").write_text("", encoding="utf-8")
    (package / "models" / "request.py").write_text(
        textwrap.dedent(MODEL).replace("{extra}", model_extra), encoding="utf-8"
    )
    (package / "models" / "status.py").write_text(
        textwrap.dedent(STATUS).replace("{extra}", status_extra), encoding="utf-8"
    )
    (package / "api" / f"{operation}.py").write_text(textwrap.dedent(OPERATION), encoding="utf-8")
    return folder


def changes_between(tmp_path: Path, old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The messages of the diff from a package written with `old` to one written with `new`, major ones marked."""
    found = diff(load_from(write_package(tmp_path / "old", **old)), load_from(write_package(tmp_path / "new", **new)))
    return [f"{'major' if change.major else 'changed'} {change.kind} {change.path}" for change in found]


def test_enum_member_removed_is_major_and_named(tmp_path: Path) -> None:
    """An enum member gone (`requires_capture` dropped from the status) is a major change naming the member."""
    found = changes_between(tmp_path, {"status_extra": 'REQUIRES_CAPTURE = "requires_capture"'}, {"status_extra": ""})
    assert found == ["major object-removed dots_client.models.status.Status.REQUIRES_CAPTURE"]


def test_operation_module_renamed_is_major(tmp_path: Path) -> None:
    """An operationId renamed renames the generated module: the old name is gone, a major change."""
    found = changes_between(tmp_path, {"operation": "create_payment_intent"}, {"operation": "make_payment_intent"})
    assert found == ["major object-removed dots_client.api.create_payment_intent"]


def test_attrs_constructor_required_field_added_is_major(tmp_path: Path) -> None:
    """A required model field added is a required parameter of the attrs-made __init__ griffe alone would not see."""
    found = changes_between(tmp_path, {}, {"model_extra": "reference: str"})
    assert "major parameter-added-required dots_client.models.request.CreateRequest.__init__" in found


def test_attrs_constructor_field_made_required_is_major(tmp_path: Path) -> None:
    """An optional model field made required is a parameter made required: major."""
    found = changes_between(
        tmp_path, {"model_extra": "reference: str | Unset = UNSET"}, {"model_extra": "reference: str"}
    )
    assert "major parameter-changed-required dots_client.models.request.CreateRequest.__init__" in found


def test_optional_field_added_or_moved_is_no_change(tmp_path: Path) -> None:
    """A new optional field, wherever it lands, breaks no caller: constructors are compared by keyword."""
    assert changes_between(tmp_path, {}, {"model_extra": "reference: str | Unset = UNSET"}) == []


def test_bump_is_the_largest_kind() -> None:
    """No change: none; only changes: minor; any major one: major."""
    from tools.api_diff import ApiChange

    changed = ApiChange(False, "parameter-changed-default", "dots_client.f", "`f`: default changed")
    removed = ApiChange(True, "object-removed", "dots_client.g", "`g`: removed")
    assert (bump([]), bump([changed]), bump([changed, removed])) == ("none", "minor", "major")


def test_load_at_reads_the_committed_package_and_refuses_an_unknown_ref(tmp_path: Path) -> None:
    """BASE's side comes from git (its committed generated/), whatever the working tree holds; a bad ref is an error."""
    repo = tmp_path / "repo"
    write_package(repo / "generated", status_extra='REQUIRES_CAPTURE = "requires_capture"')
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    (repo / "generated" / "dots_client" / "models" / "status.py").write_text("X = 1\n", encoding="utf-8")
    old = load_at(repo, "HEAD")
    assert "REQUIRES_CAPTURE" in old["models.status.Status"].members
    with pytest.raises(ApiDiffError, match="no-such-ref"):
        load_at(repo, "no-such-ref")
