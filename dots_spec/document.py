"""The spec file: where it is, and how it is parsed into a plain mapping."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path
from typing import Any

import yaml


def _spec_path() -> Path:
    """openapi.yaml inside the installed package (the dots-spec wheel copies it there), else the checkout's."""
    packaged = Path(str(importlib.resources.files("dots_spec") / "openapi.yaml"))
    return packaged if packaged.is_file() else Path(__file__).resolve().parent.parent / "openapi.yaml"


SPEC_PATH = _spec_path()


def parse_spec(text: str, origin: str) -> dict[str, Any]:
    """Parse YAML (or JSON) text into an OpenAPI document.

    `origin` names the text in errors (a path, or `REF:openapi.yaml`). Raises `yaml.YAMLError` when the
    text is not YAML, and `ValueError` when it does not hold a mapping at the top.
    """
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"{origin} is not an OpenAPI document")
    return loaded


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """Parse the spec file at `path` (default: the repository's openapi.yaml).

    Cached per path: callers share one object and must not mutate it (take a `copy.deepcopy` to edit).
    Raises `OSError` when the file cannot be read and what :func:`parse_spec` raises.
    """
    return parse_spec(path.read_text(encoding="utf-8"), str(path))
