"""dots_spec/document.py: the spec file parsed into a mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dots_spec.document import SPEC_PATH, load_spec, parse_spec


def test_spec_path_is_the_repository_spec() -> None:
    """SPEC_PATH is openapi.yaml at the repository root, and load_spec() parses it."""
    assert Path(__file__).resolve().parents[2] / "openapi.yaml" == SPEC_PATH
    assert load_spec() == yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_load_spec_is_cached_per_path(tmp_path: Path) -> None:
    """The same path gives the same object; another path gives its own document."""
    other = tmp_path / "other.yaml"
    other.write_text("openapi: 3.1.0\ninfo: {title: t, version: '2.0.0'}\npaths: {}\n", encoding="utf-8")
    assert load_spec() is load_spec()
    assert load_spec(other) is load_spec(other)
    assert load_spec(other)["info"]["version"] == "2.0.0"


@pytest.mark.parametrize("text", ["- a list\n", "just text\n", ""])
def test_non_mapping_is_not_a_document(text: str) -> None:
    """YAML that is not a mapping at the top is refused with the origin in the message."""
    with pytest.raises(ValueError, match=r"^somewhere is not an OpenAPI document$"):
        parse_spec(text, "somewhere")


def test_invalid_yaml_raises_yaml_error() -> None:
    """Text that is not YAML raises yaml.YAMLError (the gate turns it into exit status 2)."""
    with pytest.raises(yaml.YAMLError):
        parse_spec("a: [unclosed\n", "x")
