"""The spec-change gate (`make check-breaking`): classify each change between two versions of openapi.yaml.

Every change is one of three classes, judged by what it does to a client that was generated from the base
version and is already deployed (the `dots_client` package this repository generates):

- **breaking**: such a client, or the code around it, fails on a request or a response it used to handle;
- **possibly breaking**: the wire contract still holds, but behaviour may change (a value no longer checked,
  a field the server now ignores) or the regenerated client's Python API changes (a class, enum member or
  function renamed or dropped);
- **non-breaking**: additive or documentation-only.

The rule behind every verdict is direction: a request schema may only *widen* (the server must still accept
everything it accepted), a response schema may only *narrow* (the server may only send what clients already
parse). `$ref`s are followed on both sides, so a schema moved between inline and `#/components` compares by
content. The gate fails on any breaking change unless `info.version`'s major part was raised.

Usage: ``python -m tools.breaking [--base REF | --base-file PATH] [--spec PATH]``. The spec is compared with
``git show REF:openapi.yaml``; REF defaults to ``origin/main`` when it exists, else ``HEAD`` (so on a checkout
without a remote, the gate checks the uncommitted edits).
"""

from __future__ import annotations

import argparse
import enum
import math
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
DEFAULT_BASES = ("origin/main", "HEAD")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords that only document: any change to them is non-breaking.
DOC_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs", "$comment", "links"})
# String formats the generated client converts on parse (uuid.UUID, isoparse, File): a response value
# outside the format makes `from_dict` raise.
CLIENT_PARSED_FORMATS = frozenset({"uuid", "date", "date-time", "binary"})
# The schema keywords the comparison understands; a change to any other one is reported as unrecognised.
SCHEMA_KEYS = frozenset(
    {
        "type", "nullable", "format", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "uniqueItems", "pattern", "properties", "required", "additionalProperties", "items",
        "propertyNames", "allOf", "anyOf", "oneOf", "default", "deprecated", "title",
    }
)  # fmt: skip
SIZE_KEYS = (("minLength", "maxLength"), ("minItems", "maxItems"), ("minProperties", "maxProperties"))


class Severity(enum.IntEnum):
    """The class of a change; lower sorts first (the most serious is printed first)."""

    BREAKING = 0
    POSSIBLY_BREAKING = 1
    NON_BREAKING = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ").replace("non ", "non-")


BREAKING, POSSIBLY, NON = Severity.BREAKING, Severity.POSSIBLY_BREAKING, Severity.NON_BREAKING


@dataclass(frozen=True, order=True)
class Change:
    """One classified change.

    `pointer` is the JSON pointer of the changed node in the new spec, or in the base spec when the node was
    removed (`in_base`); `where` names the operation and field it affects (`POST /v2/payment-intents request
    body.amount`), or the component for changes outside operations.
    """

    severity: Severity
    rule: str
    pointer: str
    message: str
    where: str
    in_base: bool = False


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema allows, or None for any type."""
    raw = schema.get("type")
    if raw is None:
        types = None if "enum" not in schema and "const" not in schema else _enum_types(schema)
    else:
        types = {raw} if isinstance(raw, str) else set(raw)
    if types is not None and schema.get("nullable") is True:  # OpenAPI 3.0 spelling
        types.add("null")
    return types


def _enum_types(schema: dict[str, Any]) -> set[str] | None:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    found = {names.get(type(v)) for v in _enum(schema) or []}
    return None if None in found else {t for t in found if t is not None}


def _covers(allowed: set[str], kind: str) -> bool:
    return kind in allowed or (kind == "integer" and "number" in allowed)


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def _scheme_summary(spec: dict[str, Any], name: str) -> str:
    scheme = ((spec.get("components") or {}).get("securitySchemes") or {}).get(name) or {}
    kind = scheme.get("type", "?")
    if kind == "http":
        return f"http {scheme.get('scheme', '?')}"
    if kind == "apiKey":
        return f"apiKey in {scheme.get('in', '?')} {scheme.get('name', '?')}"
    return str(kind)


def _show_alternatives(alternatives: list[dict[str, tuple[str, frozenset[str]]]], anonymous: str = "none") -> str:
    """Security alternatives as `a + b or c`, with scopes in brackets; `anonymous` for no credentials."""
    shown = []
    for alternative in alternatives:
        names = [f"{n}[{', '.join(sorted(s))}]" if s else n for n, (_, s) in sorted(alternative.items())]
        shown.append(" + ".join(names) or anonymous)
    return " or ".join(shown)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _raw_bound(schema: dict[str, Any], side: str) -> str:
    """The bound keywords as the spec spells them, e.g. `exclusiveMinimum 0`."""
    keywords = (side, "exclusive" + side.capitalize())
    shown = [f"{k} {v}" for k in keywords if (v := schema.get(k)) is not None]
    return " + ".join(shown) or f"no {side}"


def _show_types(types: set[str] | None) -> str:
    return "any" if types is None else " | ".join(sorted(types))


def _or_none(value: object) -> str:
    return "none" if value is None else str(value)


def _fmt(values: list[Any] | set[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values, key=str))


@dataclass(frozen=True)
class _Bound:
    """A numeric bound; `exclusive` for exclusiveMinimum/exclusiveMaximum."""

    value: float
    exclusive: bool

    def __str__(self) -> str:
        return f"{'exclusive ' if self.exclusive else ''}{_number(self.value)}"


def _bound(schema: dict[str, Any], side: str) -> _Bound | None:
    """The lower ('minimum') or upper ('maximum') bound, whichever spelling the schema uses."""
    inclusive = schema.get(side)
    exclusive = schema.get("exclusive" + side.capitalize())
    candidates: list[_Bound] = []
    if isinstance(exclusive, bool):  # OpenAPI 3.0: a flag on minimum/maximum
        if inclusive is not None:
            candidates.append(_Bound(inclusive, exclusive))
    else:
        if inclusive is not None:
            candidates.append(_Bound(inclusive, exclusive=False))
        if exclusive is not None:
            candidates.append(_Bound(exclusive, exclusive=True))
    if not candidates:
        return None
    if (_types(schema) or set()) - {"null"} == {"integer"}:  # exclusiveMinimum: 0 on an integer is minimum: 1
        candidates = [_integer_bound(b, side) for b in candidates]
    sign = 1 if side == "minimum" else -1
    return max(candidates, key=lambda b: (sign * b.value, b.exclusive))


def _integer_bound(bound: _Bound, side: str) -> _Bound:
    if side == "minimum":
        value = math.floor(bound.value) + 1 if bound.exclusive else math.ceil(bound.value)
    else:
        value = math.ceil(bound.value) - 1 if bound.exclusive else math.floor(bound.value)
    return _Bound(value, exclusive=False)


def _stricter(old: _Bound | None, new: _Bound | None, side: str) -> bool | None:
    """True if `new` admits less than `old`, False if more, None if the same."""
    if old == new:
        return None
    if old is None or new is None:
        return old is None
    sign = 1 if side == "minimum" else -1
    if old.value != new.value:
        return sign * new.value > sign * old.value
    return new.exclusive


def _schema_obj(node: Any) -> dict[str, Any]:
    """JSON Schema booleans as objects: true is {}, false admits nothing."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    return node if isinstance(node, dict) else {}


@dataclass
class _Here:
    """Where the walk is: the two spec pointers, the operation + field label and the direction."""

    old_ptr: str
    new_ptr: str
    where: str
    request: bool

    def step(self, key: str, label: str | None = None) -> _Here:
        return _Here(
            f"{self.old_ptr}/{_escape(key)}",
            f"{self.new_ptr}/{_escape(key)}",
            self.where if label is None else label,
            self.request,
        )


@dataclass
class _Differ:
    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    _active: set[tuple[str, str, bool]] = field(default_factory=set)

    # ---- plumbing ------------------------------------------------------------------------------------------

    def add(self, severity: Severity, rule: str, here: _Here, message: str, *, in_base: bool = False) -> None:
        pointer = here.old_ptr if in_base else here.new_ptr
        self.changes.append(Change(severity, rule, pointer, message, here.where, in_base))

    def deref(self, node: Any, ptr: str, spec: dict[str, Any]) -> tuple[Any, str]:
        """Follow local `$ref`s; sibling keys (3.1 allows a description next to $ref) override the target."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                raise ValueError(f"cannot resolve $ref {ref!r} at {ptr}: only local, acyclic refs are supported")
            seen.add(ref)
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if isinstance(target, dict) else target
            ptr = ref if not siblings else ptr
        return node, ptr

    def pair(self, old: Any, new: Any, here: _Here) -> tuple[Any, Any, _Here]:
        old, old_ptr = self.deref(old, here.old_ptr, self.old)
        new, new_ptr = self.deref(new, here.new_ptr, self.new)
        return old, new, _Here(old_ptr, new_ptr, here.where, here.request)

    def docs(self, old: dict[str, Any], new: dict[str, Any], here: _Here, keys: frozenset[str] = DOC_KEYS) -> None:
        """Report documentation keywords (and `x-` extensions) that differ, as non-breaking."""
        for key in sorted(set(old) | set(new)):
            if (key in keys or key.startswith("x-")) and old.get(key) != new.get(key):
                self.add(NON, "docs-changed", here.step(key), f"{key} changed (documentation only)")

    def leftovers(self, old: dict[str, Any], new: dict[str, Any], here: _Here, handled: frozenset[str]) -> None:
        """Report changed keywords no rule knows: a person must judge them."""
        for key in sorted(set(old) | set(new)):
            if key in handled or key in DOC_KEYS or key.startswith("x-") or old.get(key) == new.get(key):
                continue
            self.add(POSSIBLY, "unrecognised-change", here.step(key), f"{key} changed and no rule covers it: check it")

    # ---- the document ----------------------------------------------------------------------------------------

    def run(self) -> list[Change]:
        top = _Here("#", "#", "spec", request=False)
        old_info, new_info = self.old.get("info", {}), self.new.get("info", {})
        info = top.step("info", "info")
        self.docs(old_info, new_info, info, DOC_KEYS | {"title", "contact", "license", "termsOfService"})
        for key in ("tags", "externalDocs"):
            if self.old.get(key) != self.new.get(key):
                self.add(NON, "docs-changed", top.step(key, key), f"{key} changed (documentation only)")
        if self.old.get("servers") != self.new.get("servers"):
            self.add(
                NON, "servers-changed", top.step("servers", "servers"),
                "servers changed (the generated client is always given its base_url)",
            )  # fmt: skip
        self.leftovers(
            self.old, self.new, top,
            frozenset({"info", "tags", "externalDocs", "servers", "paths", "components"}),
        )  # fmt: skip
        self.operations()
        self.components()
        return sorted(set(self.changes))

    def operations(self) -> None:
        old_ops, new_ops = dict(self._operations(self.old)), dict(self._operations(self.new))
        for key in sorted(old_ops.keys() - new_ops.keys()):
            path, method, _ = old_ops[key]
            here = _Here(f"#/paths/{_escape(path)}/{method}", "", f"{method.upper()} {path}", request=True)
            self.add(BREAKING, "operation-removed", here, "operation removed", in_base=True)
        for key in sorted(new_ops.keys() - old_ops.keys()):
            path, method, _ = new_ops[key]
            here = _Here("", f"#/paths/{_escape(path)}/{method}", f"{method.upper()} {path}", request=True)
            self.add(NON, "operation-added", here, "operation added")
        for key in sorted(old_ops.keys() & new_ops.keys()):
            self.operation(old_ops[key], new_ops[key])

    @staticmethod
    def _operations(spec: dict[str, Any]) -> Iterator[tuple[tuple[str, str], tuple[str, str, dict[str, Any]]]]:
        """Operations keyed by (method, path with its parameter names blanked), so a rename still matches."""
        for path, item in (spec.get("paths") or {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    yield (method, re.sub(r"\{[^}]*\}", "{}", path)), (path, method, item)

    def operation(self, old_entry: tuple[str, str, dict[str, Any]], new_entry: tuple[str, str, dict[str, Any]]) -> None:
        old_path, method, old_item = old_entry
        new_path, _, new_item = new_entry
        old_item, new_item, item_here = self.pair(
            old_item, new_item, _Here(f"#/paths/{_escape(old_path)}", f"#/paths/{_escape(new_path)}", "", True)
        )
        here = item_here.step(method, f"{method.upper()} {new_path}")
        old_op, new_op = old_item[method], new_item[method]
        self.docs(old_item, new_item, _Here(item_here.old_ptr, item_here.new_ptr, here.where, request=True))
        self.docs(old_op, new_op, here)
        if old_op.get("operationId") != new_op.get("operationId"):
            self.add(
                POSSIBLY, "operation-id-changed", here.step("operationId"),
                f"operationId {old_op.get('operationId')!r} -> {new_op.get('operationId')!r}: the wire is unchanged, "
                "but the generated function module (dots_client.api.<tag>.<operationId>) is renamed",
            )  # fmt: skip
        if old_op.get("tags") != new_op.get("tags"):
            self.add(
                POSSIBLY, "operation-tags-changed", here.step("tags"),
                f"tags {old_op.get('tags')} -> {new_op.get('tags')}: the generated module moves to another "
                "dots_client.api.<tag> package",
            )  # fmt: skip
        if not old_op.get("deprecated") and new_op.get("deprecated"):
            self.add(NON, "operation-deprecated", here.step("deprecated"), "operation deprecated")
        self.security(old_op, new_op, here)
        self.parameters((old_path, old_item), (new_path, new_item), method, item_here, here.where)
        self.request_body(old_op.get("requestBody"), new_op.get("requestBody"), here.step("requestBody"))
        self.responses(old_op.get("responses") or {}, new_op.get("responses") or {}, here.step("responses"))
        self.leftovers(
            old_op, new_op, here,
            frozenset({"operationId", "tags", "deprecated", "security", "parameters", "requestBody", "responses"}),
        )  # fmt: skip

    # ---- security --------------------------------------------------------------------------------------------

    def _alternatives(self, spec: dict[str, Any], op: dict[str, Any]) -> list[dict[str, tuple[str, frozenset[str]]]]:
        """The operation's effective security: alternatives of {scheme name: (definition, scopes)}."""
        requirements = op.get("security", spec.get("security", []))
        schemes = (spec.get("components") or {}).get("securitySchemes") or {}
        alternatives = []
        for requirement in requirements or [{}]:
            alternative = {}
            for name, scopes in requirement.items():
                scheme, _ = self.deref(schemes.get(name, {}), "", spec)
                definition = {k: v for k, v in scheme.items() if k not in DOC_KEYS}
                alternative[name] = (repr(sorted(definition.items())), frozenset(scopes))
            alternatives.append(alternative)
        return alternatives

    @staticmethod
    def _satisfies(client: dict[str, tuple[str, frozenset[str]]], need: dict[str, tuple[str, frozenset[str]]]) -> bool:
        """A client holding the credentials of `client` can meet requirement `need`."""
        return all(
            name in client and client[name][0] == definition and scopes <= client[name][1]
            for name, (definition, scopes) in need.items()
        )

    def security(self, old_op: dict[str, Any], new_op: dict[str, Any], here: _Here) -> None:
        old_alts, new_alts = self._alternatives(self.old, old_op), self._alternatives(self.new, new_op)
        at = here.step("security")
        stranded = [a for a in old_alts if not any(self._satisfies(a, n) for n in new_alts)]
        if stranded:
            redefined = sorted(
                {
                    f"{name} redefined: {_scheme_summary(self.old, name)} -> {_scheme_summary(self.new, name)}"
                    for alt in stranded
                    for name, (definition, _) in alt.items()
                    if any(name in n and n[name][0] != definition for n in new_alts)
                }
            )
            who = _show_alternatives(stranded, anonymous="no credentials")
            self.add(
                BREAKING, "security-tightened", at,
                f"security {_show_alternatives(old_alts)} -> {_show_alternatives(new_alts)}"
                f"{' (' + '; '.join(redefined) + ')' if redefined else ''}: clients that authenticate "
                f"with {who} meet no requirement any more",
            )  # fmt: skip
        elif old_alts != new_alts:
            self.add(
                NON, "security-relaxed", at,
                f"security {_show_alternatives(old_alts)} -> {_show_alternatives(new_alts)}: every old way to "
                "authenticate still works",
            )  # fmt: skip

    # ---- parameters ------------------------------------------------------------------------------------------

    def _parameters(
        self, spec: dict[str, Any], path: str, item: dict[str, Any], ptr: str, method: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        """Path-item and operation parameters merged (operation wins), keyed by location and name.

        Path parameters are keyed by position, so renaming `{id}` is seen as a rename, not a removal.
        """
        names = re.findall(r"\{([^}]*)\}", path)
        merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for level, node in (("", item), (f"/{method}", item[method])):
            for index, raw in enumerate(node.get("parameters") or []):
                param, param_ptr = self.deref(raw, f"{ptr}{level}/parameters/{index}", spec)
                where, name = param.get("in", ""), str(param.get("name", ""))
                if where == "path" and name in names:
                    name = f"#{names.index(name)}"
                elif where == "header":
                    name = name.lower()
                merged[(where, name)] = (param, param_ptr)
        return merged

    def parameters(
        self,
        old: tuple[str, dict[str, Any]],
        new: tuple[str, dict[str, Any]],
        method: str,
        item_here: _Here,
        operation: str,
    ) -> None:
        (old_path, old_item), (new_path, new_item) = old, new
        old_params = self._parameters(self.old, old_path, old_item, item_here.old_ptr, method)
        new_params = self._parameters(self.new, new_path, new_item, item_here.new_ptr, method)
        for key in sorted(old_params.keys() | new_params.keys()):
            old_param, old_at = old_params.get(key, ({}, ""))
            new_param, new_at = new_params.get(key, ({}, ""))
            name = str((new_param or old_param).get("name"))
            at = _Here(old_at, new_at, f"{operation} request {key[0]}.{name}", request=True)
            if not new_param:
                self.add(
                    POSSIBLY, "request-parameter-removed", at,
                    f"{key[0]} parameter {name!r} removed: the server now ignores it, and the regenerated "
                    "function no longer takes it",
                    in_base=True,
                )  # fmt: skip
                continue
            required = bool(new_param.get("required"))
            if not old_param:
                if required:
                    self.add(BREAKING, "request-parameter-added-required", at, f"required {key[0]} parameter added")
                else:
                    self.add(NON, "request-parameter-added", at, f"optional {key[0]} parameter added")
                continue
            if old_param.get("name") != new_param.get("name") and key[0] == "path":
                self.add(
                    POSSIBLY, "path-parameter-renamed", at,
                    f"path parameter {old_param.get('name')!r} -> {new_param.get('name')!r}: same URL, but the "
                    "generated function's argument is renamed",
                )  # fmt: skip
            if required and not old_param.get("required"):
                self.add(BREAKING, "request-parameter-became-required", at, "parameter became required")
            elif old_param.get("required") and not required:
                self.add(NON, "request-parameter-became-optional", at, "parameter became optional")
            self.docs(old_param, new_param, at)
            self.leftovers(old_param, new_param, at, frozenset({"name", "in", "required", "schema", "deprecated"}))
            self.schema(old_param.get("schema", {}), new_param.get("schema", {}), at.step("schema"))

    # ---- bodies and responses --------------------------------------------------------------------------------

    def request_body(self, old: Any, new: Any, here: _Here) -> None:
        operation = here.where
        here = _Here(here.old_ptr, here.new_ptr, f"{operation} request body", request=True)
        if old is None and new is None:
            return
        if old is None:
            if self.deref(new, here.new_ptr, self.new)[0].get("required"):
                self.add(BREAKING, "request-body-added-required", here, "required request body added")
            else:
                self.add(NON, "request-body-added", here, "optional request body added")
            return
        if new is None:
            self.add(
                POSSIBLY, "request-body-removed", here, "request body removed: the server ignores it", in_base=True
            )
            return
        old_body, new_body, here = self.pair(old, new, here)
        if new_body.get("required") and not old_body.get("required"):
            self.add(BREAKING, "request-body-became-required", here.step("required"), "request body became required")
        elif old_body.get("required") and not new_body.get("required"):
            self.add(NON, "request-body-became-optional", here.step("required"), "request body became optional")
        self.docs(old_body, new_body, here)
        content = _Here(here.old_ptr, here.new_ptr, f"{operation} request", request=True).step("content")
        self.content(old_body.get("content") or {}, new_body.get("content") or {}, content)

    def responses(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        operation = here.where
        for status in sorted(set(old) | set(new)):
            at = _Here(here.old_ptr, here.new_ptr, f"{operation} response {status}", request=False).step(status)
            success = status.startswith("2")
            if status not in new:
                if success:
                    self.add(
                        BREAKING, "response-status-removed", at,
                        f"success response {status} removed: a deployed client gets None (or UnexpectedStatus) "
                        "for whatever the operation answers instead",
                        in_base=True,
                    )  # fmt: skip
                else:
                    self.add(
                        POSSIBLY, "response-status-removed", at,
                        f"response {status} removed: deployed clients still parse it, but if the server still "
                        "sends it a regenerated client returns None (or raises UnexpectedStatus) instead of Error",
                        in_base=True,
                    )  # fmt: skip
                continue
            if status not in old:
                if success:
                    self.add(
                        POSSIBLY, "response-status-added", at,
                        f"success response {status} added: a deployed client returns None (or raises "
                        "UnexpectedStatus) for it instead of the parsed body",
                    )  # fmt: skip
                else:
                    self.add(
                        NON, "response-status-added", at,
                        f"response {status} added: a deployed client returns None for it, which its return type "
                        "already includes",
                    )  # fmt: skip
                continue
            old_response, new_response, at = self.pair(old[status], new[status], at)
            self.docs(old_response, new_response, at)
            self.headers(old_response.get("headers") or {}, new_response.get("headers") or {}, at.step("headers"))
            self.content(old_response.get("content") or {}, new_response.get("content") or {}, at.step("content"))

    def headers(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        lower_old = {k.lower(): k for k in old}
        lower_new = {k.lower(): k for k in new}
        response = here.where
        for name in sorted(lower_old.keys() | lower_new.keys()):
            old_name, new_name = lower_old.get(name, name), lower_new.get(name, name)
            at = _Here(
                f"{here.old_ptr}/{_escape(old_name)}", f"{here.new_ptr}/{_escape(new_name)}",
                f"{response} header {new_name if name in lower_new else old_name}", request=False,
            )  # fmt: skip
            if name not in lower_new:
                self.add(POSSIBLY, "response-header-removed", at, "response header removed", in_base=True)
            elif name not in lower_old:
                self.add(NON, "response-header-added", at, "response header added")
            else:
                old_header, new_header, at = self.pair(old[lower_old[name]], new[lower_new[name]], at)
                self.docs(old_header, new_header, at)
                self.schema(old_header.get("schema", {}), new_header.get("schema", {}), at.step("schema"))

    def content(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        """Compare media types; `here.where` names the request or response, schemas are labelled `body...`."""
        for media in sorted(set(old) | set(new)):
            at = here.step(media)
            if media not in new:
                if here.request:
                    self.add(BREAKING, "request-media-type-removed", at, f"{media} no longer accepted", in_base=True)
                else:
                    self.add(NON, "response-media-type-removed", at, f"{media} no longer sent", in_base=True)
                continue
            if media not in old:
                if here.request:
                    self.add(NON, "request-media-type-added", at, f"{media} also accepted")
                else:
                    self.add(
                        POSSIBLY, "response-media-type-added", at,
                        f"{media} may now be sent: the generated client parses every body as JSON",
                    )  # fmt: skip
                continue
            old_media, new_media, at = self.pair(old[media], new[media], at)
            self.docs(old_media, new_media, at)
            self.schema(old_media.get("schema", {}), new_media.get("schema", {}), at.step("schema", f"{at.where} body"))

    # ---- schemas ---------------------------------------------------------------------------------------------

    def schema(self, old: Any, new: Any, here: _Here) -> None:
        """Compare two schemas in the walk's direction (request: may widen; response: may narrow)."""
        old, new, here = self.pair(old, new, here)
        old, new = _schema_obj(old), _schema_obj(new)
        key = (here.old_ptr, here.new_ptr, here.request)
        if key in self._active:  # a recursive schema: this pair is already being compared further up
            return
        self._active.add(key)
        try:
            self._schema(old, new, here)
        finally:
            self._active.discard(key)

    def _schema(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        self.docs(old, new, here)
        if not old.get("deprecated") and new.get("deprecated"):
            self.add(NON, "deprecated", here.step("deprecated"), "marked deprecated")
        if old.get("title") != new.get("title"):
            self.add(
                POSSIBLY, "title-changed", here.step("title"),
                f"title {old.get('title')!r} -> {new.get('title')!r}: openapi-python-client names the generated "
                "class after it",
            )  # fmt: skip
        self._type(old, new, here)
        self._format(old, new, here)
        self._enum(old, new, here)
        for side in ("minimum", "maximum"):
            self._range(old, new, here, side)
        self._multiple_of(old, new, here)
        for low, high in SIZE_KEYS:
            self._size(old, new, here, low, "minimum")
            self._size(old, new, here, high, "maximum")
        self._unique(old, new, here)
        self._pattern(old, new, here)
        self._default(old, new, here)
        self._properties(old, new, here)
        self._additional(old, new, here)
        for key, suffix in (("items", "[]"), ("propertyNames", " (keys)")):
            if key in old or key in new:
                label = f"{here.where}{suffix}"
                self.schema(old.get(key, {}), new.get(key, {}), here.step(key, label))
        self._composition(old, new, here)
        self.leftovers(old, new, here, SCHEMA_KEYS)

    def _type(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types == new_types:
            return
        shown = f"type {_show_types(old_types)} -> {_show_types(new_types)}"
        at = here.step("type")
        if here.request:
            lost = new_types is not None and (old_types is None or any(not _covers(new_types, t) for t in old_types))
            if lost:
                self.add(BREAKING, "request-type-narrowed", at, f"{shown}: some values clients send are now rejected")
            else:
                self.add(NON, "request-type-widened", at, shown)
            return
        gained = old_types is not None and (new_types is None or any(not _covers(old_types, t) for t in new_types))
        if not gained:
            self.add(NON, "response-type-narrowed", at, shown)
        elif new_types is not None and old_types is not None and old_types <= new_types:
            self.add(
                BREAKING, "response-type-widened", at, f"{shown}: the deployed client does not expect the new type"
            )
        else:
            self.add(
                BREAKING, "response-type-changed", at, f"{shown}: the deployed client does not expect the new type"
            )

    def _format(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_format, new_format = old.get("format"), new.get("format")
        if old_format == new_format:
            return
        at = here.step("format")
        shown = f"format {old_format or 'none'} -> {new_format or 'none'}"
        if here.request:
            if new_format is None:
                self.add(NON, "request-format-removed", at, shown)
            else:
                self.add(BREAKING, "request-format-narrowed", at, f"{shown}: some values clients send are now rejected")
        elif old_format is None:
            self.add(NON, "response-format-added", at, shown)
        elif old_format in CLIENT_PARSED_FORMATS:
            self.add(
                BREAKING, "response-format-removed" if new_format is None else "response-format-changed", at,
                f"{shown}: the deployed client parses this field as {old_format} and raises on anything else",
            )  # fmt: skip
        else:
            self.add(
                POSSIBLY, "response-format-removed" if new_format is None else "response-format-changed", at,
                f"{shown}: the client does not check it, code that relies on it may",
            )  # fmt: skip

    def _enum(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_values, new_values = _enum(old), _enum(new)
        if old_values == new_values:
            return
        at = here.step("enum" if "enum" in new or "enum" in old else "const")
        if old_values is None or new_values is None:
            if (new_values is not None) == here.request:  # an enum appears on a request / vanishes from a response
                rule = "request-enum-added" if here.request else "response-enum-removed"
                self.add(BREAKING, rule, at, "values restricted to an enum" if here.request else "enum removed")
            else:
                rule = "request-enum-removed" if here.request else "response-enum-added"
                self.add(NON, rule, at, "enum removed" if here.request else "values restricted to an enum")
            return
        added = [v for v in new_values if v not in old_values]
        removed = [v for v in old_values if v not in new_values]
        if here.request:
            if removed:
                self.add(BREAKING, "request-enum-value-removed", at, f"{_fmt(removed)} no longer accepted")
            if added:
                self.add(NON, "request-enum-value-added", at, f"{_fmt(added)} now accepted")
            return
        if added:
            self.add(
                BREAKING, "response-enum-value-added", at,
                f"{_fmt(added)} may now be sent: dots-client before 1.1.0 raises ValueError on an enum value it "
                "does not know, so the whole response fails to parse (from 1.1.0 it reads the value as a plain str)",
            )  # fmt: skip
        if removed:
            self.add(
                POSSIBLY, "response-enum-value-removed", at,
                f"{_fmt(removed)} no longer sent: safe on the wire, but the regenerated enum loses the member, "
                "so code that names it breaks on upgrade",
            )  # fmt: skip

    def _range(self, old: dict[str, Any], new: dict[str, Any], here: _Here, side: str) -> None:
        old_bound, new_bound = _bound(old, side), _bound(new, side)
        stricter = _stricter(old_bound, new_bound, side)
        if stricter is None:
            return
        keyword = side if side in new or side in old else "exclusive" + side.capitalize()
        at = here.step(keyword)
        old_raw, new_raw = _raw_bound(old, side), _raw_bound(new, side)
        shown = f"{old_raw} -> {new_raw}" if old_raw != new_raw else f"{old_raw}, on type {_show_types(_types(new))}"
        self._narrow_or_widen(stricter, at, "range", shown)

    def _narrow_or_widen(self, stricter: bool, at: _Here, what: str, shown: str) -> None:
        if at.request and stricter:
            self.add(BREAKING, f"request-{what}-narrowed", at, f"{shown}: some values clients send are now rejected")
        elif at.request:
            self.add(NON, f"request-{what}-widened", at, shown)
        elif stricter:
            self.add(NON, f"response-{what}-narrowed", at, shown)
        else:
            self.add(
                POSSIBLY, f"response-{what}-widened", at,
                f"{shown}: the generated client does not check it, code that relies on it may",
            )  # fmt: skip

    def _size(self, old: dict[str, Any], new: dict[str, Any], here: _Here, keyword: str, side: str) -> None:
        old_value, new_value = old.get(keyword), new.get(keyword)
        if old_value == new_value:
            return
        old_bound = None if old_value is None else _Bound(old_value, exclusive=False)
        new_bound = None if new_value is None else _Bound(new_value, exclusive=False)
        stricter = _stricter(old_bound, new_bound, side)
        if stricter is not None:
            shown = f"{keyword} {_or_none(old_value)} -> {_or_none(new_value)}"
            self._narrow_or_widen(stricter, here.step(keyword), "size", shown)

    def _multiple_of(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_value, new_value = old.get("multipleOf"), new.get("multipleOf")
        if old_value == new_value:
            return
        # Every multiple of `old` is a multiple of `new` exactly when `old` is itself a multiple of `new`.
        widened = new_value is None or (old_value is not None and (old_value / new_value).is_integer())
        shown = f"multipleOf {old_value or 'none'} -> {new_value or 'none'}"
        self._narrow_or_widen(not widened, here.step("multipleOf"), "range", shown)

    def _unique(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_unique, new_unique = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
        if old_unique != new_unique:
            self._narrow_or_widen(
                new_unique, here.step("uniqueItems"), "size", f"uniqueItems {old_unique} -> {new_unique}"
            )

    def _pattern(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_pattern, new_pattern = old.get("pattern"), new.get("pattern")
        if old_pattern == new_pattern:
            return
        at = here.step("pattern")
        if old_pattern is None or new_pattern is None:
            self._narrow_or_widen(new_pattern is not None, at, "pattern", "pattern added" if old_pattern is None
                                  else "pattern removed")  # fmt: skip
            return
        shown = f"pattern {old_pattern!r} -> {new_pattern!r}"
        side = "values clients send may now be rejected" if here.request else "the server may send values it did not"
        self.add(
            POSSIBLY, f"{'request' if here.request else 'response'}-pattern-changed", at,
            f"{shown}: whether it accepts every old value cannot be decided here; {side}",
        )  # fmt: skip

    def _default(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        if old.get("default") == new.get("default"):
            return
        at = here.step("default")
        shown = f"default {old.get('default')!r} -> {new.get('default')!r}"
        if here.request:
            self.add(
                POSSIBLY,
                "request-default-changed",
                at,
                f"{shown}: requests that omit the field now mean something else",
            )
        else:
            self.add(NON, "response-default-changed", at, shown)

    def _properties(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
        closed = new.get("additionalProperties") is False
        for name in sorted(set(old_props) | set(new_props) | old_required | new_required):
            label = f"{here.where}.{name}"
            at = _Here(
                f"{here.old_ptr}/properties/{_escape(name)}", f"{here.new_ptr}/properties/{_escape(name)}",
                label, here.request,
            )  # fmt: skip
            in_old, in_new = name in old_props, name in new_props
            if in_old and not in_new:
                self._property_removed(at, name in old_required, closed)
                continue
            if in_new and not in_old:
                if here.request and name in new_required:
                    self.add(BREAKING, "request-property-added-required", at, "required field added")
                elif here.request:
                    self.add(NON, "request-property-added", at, "optional field added")
                else:
                    self.add(
                        NON,
                        "response-property-added",
                        at,
                        "field added: a deployed client keeps it in additional_properties",
                    )
                continue
            was, now = name in old_required, name in new_required
            required_at = _Here(f"{here.old_ptr}/required", f"{here.new_ptr}/required", label, here.request)
            if here.request and now and not was:
                self.add(BREAKING, "request-property-became-required", required_at, "field became required")
            elif here.request and was and not now:
                self.add(NON, "request-property-became-optional", required_at, "field became optional")
            elif not here.request and was and not now:
                self.add(
                    BREAKING, "response-property-became-optional", required_at,
                    "field no longer required: the generated from_dict pops it unconditionally and raises KeyError "
                    "when it is missing",
                )  # fmt: skip
            elif not here.request and now and not was:
                self.add(NON, "response-property-became-required", required_at, "field became required")
            if in_old and in_new:
                self.schema(old_props[name], new_props[name], at)

    def _property_removed(self, at: _Here, was_required: bool, closed: bool) -> None:
        if at.request:
            if closed:
                self.add(
                    BREAKING, "request-property-removed", at,
                    "field removed from a closed object (additionalProperties: false): clients that send it are "
                    "now rejected",
                    in_base=True,
                )  # fmt: skip
            else:
                self.add(
                    POSSIBLY, "request-property-removed", at,
                    "field removed: the server now ignores it when clients send it", in_base=True,
                )  # fmt: skip
            return
        consequence = (
            "the generated from_dict raises KeyError without it"
            if was_required
            else "clients that read it get UNSET from now on, and the name is no longer typed"
        )
        self.add(
            BREAKING, "response-property-removed", at,
            f"{'required' if was_required else 'optional'} field removed: {consequence}", in_base=True,
        )  # fmt: skip

    def _additional(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra == new_extra:
            return
        at = here.step("additionalProperties", f"{here.where}.*")
        if new_extra is False:
            if here.request:
                self.add(
                    BREAKING, "request-additional-properties-closed", at,
                    "additionalProperties: false added: a request with any undeclared field is now rejected",
                )  # fmt: skip
            else:
                self.add(NON, "response-additional-properties-closed", at, "additionalProperties: false added")
        elif old_extra is False:
            if here.request:
                self.add(NON, "request-additional-properties-opened", at, "undeclared fields now accepted")
            else:
                self.add(
                    NON, "response-additional-properties-opened", at,
                    "undeclared fields may now be sent: the generated client keeps them in additional_properties",
                )  # fmt: skip
        else:
            self.schema(old_extra, new_extra, at)

    def _composition(self, old: dict[str, Any], new: dict[str, Any], here: _Here) -> None:
        for key in ("allOf", "anyOf", "oneOf"):
            old_parts, new_parts = old.get(key) or [], new.get(key) or []
            if old_parts == new_parts:
                continue
            if len(old_parts) == len(new_parts):
                for index, (old_part, new_part) in enumerate(zip(old_parts, new_parts, strict=True)):
                    self.schema(old_part, new_part, here.step(key).step(str(index)))
            else:
                self.add(
                    POSSIBLY, "composition-changed", here.step(key),
                    f"{key} has {len(old_parts)} -> {len(new_parts)} subschemas: compare them by hand",
                )  # fmt: skip

    # ---- components ------------------------------------------------------------------------------------------

    def components(self) -> None:
        old_schemes = (self.old.get("components") or {}).get("securitySchemes") or {}
        new_schemes = (self.new.get("components") or {}).get("securitySchemes") or {}
        for name in sorted(old_schemes.keys() & new_schemes.keys()):
            ptr = f"#/components/securitySchemes/{_escape(name)}"
            scheme_here = _Here(ptr, ptr, f"components.securitySchemes.{name}", request=True)
            self.docs(old_schemes[name], new_schemes[name], scheme_here)
        old_schemas = (self.old.get("components") or {}).get("schemas") or {}
        new_schemas = (self.new.get("components") or {}).get("schemas") or {}
        for name in sorted(set(old_schemas) - set(new_schemas)):
            ptr = f"#/components/schemas/{_escape(name)}"
            self.add(
                POSSIBLY, "component-schema-removed", _Here(ptr, "", f"components.schemas.{name}", False),
                f"schema {name} removed (its uses are compared where they are): the generated model class "
                "for it is renamed or gone, so code that imports it breaks on upgrade",
                in_base=True,
            )  # fmt: skip
        for name in sorted(set(new_schemas) - set(old_schemas)):
            ptr = f"#/components/schemas/{_escape(name)}"
            self.add(NON, "component-schema-added", _Here("", ptr, f"components.schemas.{name}", False),
                     f"schema {name} added")  # fmt: skip


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, classified and sorted (breaking first)."""
    return _Differ(old, new).run()


# ---- verdict -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One change as reported: the same schema change reached through several operations is one finding."""

    severity: Severity
    rule: str
    pointer: str
    in_base: bool
    message: str
    wheres: tuple[str, ...]


def findings(changes: list[Change]) -> list[Finding]:
    """Group changes by what changed (rule, pointer, message), keeping every place each one affects."""
    groups: dict[tuple[Severity, str, str, bool, str], list[str]] = {}
    for change in sorted(changes):
        key = (change.severity, change.rule, change.pointer, change.in_base, change.message)
        groups.setdefault(key, [])
        if change.where not in groups[key]:
            groups[key].append(change.where)
    return [Finding(*key, wheres=tuple(wheres)) for key, wheres in groups.items()]


def major(version: object) -> int | None:
    """The major part of a `MAJOR.MINOR.PATCH` version (a leading `v` is allowed), or None."""
    found = re.match(r"v?(\d+)(?:[.+-]|$)", str(version).strip())
    return int(found.group(1)) if found else None


def version_of(spec: dict[str, Any]) -> str:
    return str((spec.get("info") or {}).get("version", ""))


def suggested_bump(changes: list[Change]) -> str:
    """The smallest semver bump the changes call for: major, minor, patch or none."""
    if any(c.severity is BREAKING for c in changes):
        return "major"
    if any(c.rule != "docs-changed" for c in changes):
        return "minor"
    return "patch" if changes else "none"


def bumped(version: str, bump: str) -> str | None:
    """`version` raised by `bump` (major, minor or patch); None when it is not MAJOR.MINOR.PATCH."""
    parts = version.split(".")
    if len(parts) < 3 or not all(part.isdigit() for part in parts[:3]):
        return None
    x, y, z = (int(part) for part in parts[:3])
    return {"major": f"{x + 1}.0.0", "minor": f"{x}.{y + 1}.0", "patch": f"{x}.{y}.{z + 1}"}.get(bump)


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    line: str


def verdict(changes: list[Change], old_version: str, new_version: str) -> Verdict:
    """Pass unless there is a breaking change and info.version's major part was not raised."""
    found = findings(changes)
    counts = {s: sum(1 for f in found if f.severity is s) for s in Severity}
    summary = ", ".join(f"{counts[s]} {s.label}" for s in Severity)
    versions = f"info.version {old_version} -> {new_version}"
    old_major, new_major = major(old_version), major(new_version)
    raised = old_major is not None and new_major is not None and new_major > old_major
    if not found:
        return Verdict(0, f"PASS: no changes ({versions})")
    if counts[BREAKING] and not raised:
        return Verdict(1, f"FAIL: {summary}; {versions}: undo the breaking changes or raise the major version")
    if counts[BREAKING]:
        return Verdict(0, f"PASS: {summary}; the breaking changes come with a major bump ({versions})")
    return Verdict(0, f"PASS: {summary} ({versions})")


# ---- output --------------------------------------------------------------------------------------------------


def render(changes: list[Change], old_version: str, new_version: str, title: str) -> tuple[str, int]:
    """The terminal report, ending with the one-line verdict, and the exit code.

    Findings are grouped by class, the most serious first; each shows its rule, the JSON pointer of the
    changed node (`(in BASE)` when it was removed), why it has its class, and every operation + field it
    affects.
    """
    lines = [title, ""]
    found = findings(changes)
    for severity in Severity:
        group = [f for f in found if f.severity is severity]
        if not group:
            continue
        lines.append(f"{severity.label.upper()} ({len(group)})")
        for finding in group:
            lines.append(f"  [{finding.rule}] {finding.pointer}{' (in BASE)' if finding.in_base else ''}")
            lines.extend(textwrap.wrap(finding.message, width=110, initial_indent=" " * 6, subsequent_indent=" " * 8))
            lines.extend(f"      at {where}" for where in finding.wheres)
        lines.append("")
    bump = suggested_bump(changes)
    if bump != "none":
        target = bumped(old_version, bump)
        wanted = f"at least {target}" if target else f"a {bump} bump"
        lines.append(
            f"These changes call for a {bump} bump of info.version: {old_version} at BASE -> {wanted}"
            f" (the working tree has {new_version})."
        )
    result = verdict(changes, old_version, new_version)
    lines.append(result.line)
    return "\n".join(lines) + "\n", result.exit_code


# ---- git plumbing --------------------------------------------------------------------------------------------


class GateError(Exception):
    """A problem that stops the comparison (bad ref, missing file): exit status 2."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def default_base(repo: Path) -> str:
    """`origin/main` when the repository has it, else `HEAD`."""
    for ref in DEFAULT_BASES:
        if _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0:
            return ref
    raise GateError(f"none of {', '.join(DEFAULT_BASES)} exists in {repo}: pass --base")


def spec_at(ref: str, spec: Path) -> str:
    """The text of `spec` as committed at `ref` (`git show REF:./openapi.yaml`, run next to the file)."""
    result = _git(spec.parent, "show", f"{ref}:./{spec.name}")
    if result.returncode != 0:
        raise GateError(f"cannot read {spec.name} at {ref!r}: {result.stderr.strip()}")
    return result.stdout


def _load(text: str, origin: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise GateError(f"{origin} is not an OpenAPI document")
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--base", help="git ref to compare with (default: origin/main if it exists, else HEAD)")
    source.add_argument("--base-file", type=Path, help="compare with this file instead of a git ref")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the changed spec (default: the working tree's)")
    args = parser.parse_args(argv)
    try:
        new = _load(args.spec.read_text(encoding="utf-8"), str(args.spec))
        if args.base_file is not None:
            base_name = str(args.base_file)
            old = _load(args.base_file.read_text(encoding="utf-8"), base_name)
        else:
            ref = args.base or default_base(args.spec.parent)
            base_name = f"{ref}:{args.spec.name}"
            old = _load(spec_at(ref, args.spec), base_name)
        changes = compare(old, new)
    except (GateError, OSError, ValueError, yaml.YAMLError) as error:
        print(f"check-breaking: {error}", file=sys.stderr)
        return 2
    shown = args.spec.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    title = f"check-breaking: {shown} against {base_name}"
    report, code = render(changes, version_of(old), version_of(new), title)
    sys.stdout.write(report)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
