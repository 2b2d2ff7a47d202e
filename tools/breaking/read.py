"""Reading a document the gate can compare: any OpenAPI 3.0 or 3.1 document held in one file.

What users write varies: YAML reads an unquoted status code (`200:`) as an integer, and 3.1 puts keywords
beside a schema's `$ref`. The first is normalised here (every `responses` key becomes the string the
specification spells); the second is read by :func:`dots_spec.refs.follow_schema` during the walk. What the
gate cannot compare is refused before the walk starts, in one line that names what was found and what the
gate reads: a Swagger 2.0 (or other non-3.0/3.1) document, a `$ref` to another file or a URL, a dangling
`$ref`. The command exits 2 on a refusal (exit 1 means a breaking change and nothing else).
"""

from __future__ import annotations

from typing import Any

import yaml

from dots_spec.refs import RefError, escape, pointed
from tools.breaking.git import GateError

READS = "the gate reads OpenAPI 3.0 and 3.1 documents in one file"
# Values that are data, not OpenAPI structure: a `$ref` key inside them is not a reference.
DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "value"})
# Mappings whose keys are names chosen by the author (a property may be called `default`).
NAMED_KEYS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions", "schemas"})


class Refused(GateError):
    """The document cannot be compared (exit 2); the message is the one line the command prints."""


def read_document(text: str, origin: str) -> dict[str, Any]:
    """Parse `text` (YAML or JSON; `origin` names it in messages) into a document the gate can compare.

    Raises :class:`Refused` when it is not YAML, not a mapping, not OpenAPI 3.0/3.1, or holds a `$ref`
    that is not local or names nothing.
    """
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise Refused(f"{origin}: not YAML or JSON{where}: {READS}") from None
    if not isinstance(loaded, dict):
        raise Refused(f"{origin}: not an OpenAPI document (no mapping at the top): {READS}")
    check_version(loaded, origin)
    normalise_status_codes(loaded)
    check_refs(loaded, loaded, "#", origin)
    return loaded


def check_version(document: dict[str, Any], origin: str) -> None:
    """Refuse anything but `openapi: 3.0.x` or `3.1.x` (Swagger 2.0 says `swagger: "2.0"`)."""
    if "swagger" in document:
        raise Refused(f"{origin}: a Swagger {document['swagger']} document: {READS} (convert it first)")
    version = str(document.get("openapi", ""))
    if not version:
        raise Refused(f"{origin}: no `openapi` version field: {READS}")
    if not (version.startswith("3.0") or version.startswith("3.1")):
        raise Refused(f"{origin}: OpenAPI {version}: {READS}")


def normalise_status_codes(node: Any, parent: str = "") -> None:
    """Every key of every `responses` mapping as a string (`200`, read by YAML as an int, becomes `"200"`)."""
    if isinstance(node, dict):
        if parent == "responses" and any(not isinstance(key, str) for key in node):
            items = [(str(key), value) for key, value in node.items()]
            node.clear()
            node.update(items)
        for key, value in node.items():
            if key not in DATA_KEYS or parent in NAMED_KEYS:
                normalise_status_codes(value, key if isinstance(key, str) else "")
    elif isinstance(node, list):
        for value in node:
            normalise_status_codes(value, "")


def check_refs(node: Any, document: dict[str, Any], pointer: str, origin: str, parent: str = "") -> None:
    """Refuse a `$ref` to another file or URL, and a local one that names nothing."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and parent not in NAMED_KEYS:
            if not (ref == "#" or ref.startswith("#/")):
                raise Refused(f"{origin}: $ref {ref!r} at {pointer} points outside the document: {READS}")
            try:
                pointed(document, ref, pointer)
            except RefError as error:
                raise Refused(f"{origin}: {error}: {READS}") from None
        for key, value in node.items():
            if key not in DATA_KEYS or parent in NAMED_KEYS:
                name = str(key)
                check_refs(value, document, f"{pointer}/{escape(name)}", origin, name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_refs(value, document, f"{pointer}/{index}", origin)
