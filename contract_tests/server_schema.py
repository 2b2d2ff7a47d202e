"""schemathesis, set up to check a server against openapi.yaml.

Every built-in check is on, in both generation modes (positive and negative), in every phase
(examples, coverage, fuzzing; stateful through `as_state_machine()`). What is configured, and
why, is in `CONFIG` below: nothing is switched off.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from .spec_data import load_schema

CONFIG: dict[str, Any] = {
    "checks": {
        # Every check, including the auth checks (ignored_auth: the server must reject missing and
        # wrong credentials) and the stateful ones (use_after_free, ensure_resource_availability).
        "enabled": True,
    },
}


def new_schema(
    *, seed: int | None = None, auth: tuple[str, str] | None = None, base_url: str | None = None
) -> schemathesis.BaseSchema:
    """openapi.yaml as a schemathesis schema with the suite's configuration (its own config object)."""
    config = schemathesis.Config.from_dict(CONFIG if seed is None else {**CONFIG, "seed": seed})
    schema = load_schema(config)
    configure(schema, auth=auth, base_url=base_url)
    return schema


def configure(
    schema: schemathesis.BaseSchema, *, auth: tuple[str, str] | None = None, base_url: str | None = None
) -> None:
    """Point `schema` (and every test made from it) at a server, with HTTP Basic credentials."""
    if auth is not None:
        schema.config.update(basic_auth=auth)
    if base_url is not None:
        schema.config.update(base_url=base_url)
