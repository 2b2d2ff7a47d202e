"""dots_spec/version.py: info.version, the spec's version and the start of the generated package's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from dots_spec.document import load_spec
from dots_spec.version import InvalidSpecVersion, info_version, package_version

ROOT = Path(__file__).resolve().parents[2]


def test_info_version_reads_the_spec() -> None:
    """info_version is info.version as written; empty when there is none."""
    assert info_version(load_spec()) == load_spec()["info"]["version"]
    assert info_version({"info": {"version": 2}}) == "2"
    assert info_version({}) == ""


@pytest.mark.parametrize(("raw", "expected"), [("1.0.0", "1.0.0"), ("2.0.0rc1", "2.0.0rc1"), ("v3.1", "3.1")])
def test_pep440_versions_are_accepted(raw: str, expected: str) -> None:
    """Any PEP 440 version is a package version (in its normal form)."""
    assert package_version({"info": {"version": raw}}) == Version(expected)


@pytest.mark.parametrize("raw", ["1.0.x", "next", "", "1.0.0-beta.1.x"])
def test_other_versions_are_refused_with_the_reason(raw: str) -> None:
    """A version packaging cannot carry raises InvalidSpecVersion (a ValueError) quoting it."""
    with pytest.raises(InvalidSpecVersion, match=rf"info\.version '{raw}' is not a valid PEP 440 version"):
        package_version({"info": {"version": raw}})


def test_spec_version_is_a_package_version() -> None:
    """openapi.yaml's own info.version can be generated."""
    assert str(package_version(load_spec())) == load_spec()["info"]["version"]


def test_changelog_has_an_entry_for_the_spec_version() -> None:
    """CHANGELOG.md has a section for openapi.yaml's info.version (workflow step: changelog entry)."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{info_version(load_spec())}] - " in changelog


def test_newest_changelog_release_is_the_one_version() -> None:
    """The newest CHANGELOG release is info.version, and the generated package's version starts with it."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## \[(\d[^\]]*)\] - ", changelog, re.MULTILINE)
    assert newest is not None
    project = tomllib.loads((ROOT / "generated" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert newest.group(1) == info_version(load_spec())
    assert Version(project["version"]).release[:3] == package_version(load_spec()).release
