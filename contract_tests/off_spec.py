"""Answers a server should not send but a client meets anyway, for each documented status of each operation.

A production client reads what arrives: a status value Dots adds later, `null` in an optional
field, a field it does not know, a value of another type, or no JSON at all (a gateway's HTML
page, a proxy's plain text, an empty body). Each answer here starts from a body the spec allows
(schemathesis draws it) and breaks it in one way, found by walking the documented schema: nothing
restates a field list. The suite itself stays strict (it reports such answers from a server as
findings); these answers test that the client tolerates them.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import uuid
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from dots_spec.document import load_spec
from dots_spec.refs import resolve

from .spec_data import response_bodies, spec_operations


class Kind(enum.StrEnum):
    """How an answer departs from the spec."""

    UNKNOWN_ENUM_VALUE = "unknown-enum-value"
    NULL_IN_OPTIONAL_FIELD = "null-in-optional-field"
    UNKNOWN_FIELD = "unknown-field"
    WRONG_TYPE = "wrong-type"
    NOT_JSON = "not-json"
    HTML = "html"
    EMPTY = "empty"


# What the client must read into the documented model (the tolerant reader).
TOLERATED = frozenset({Kind.UNKNOWN_ENUM_VALUE, Kind.NULL_IN_OPTIONAL_FIELD, Kind.UNKNOWN_FIELD})
# What no model can read: the client must still give the status and the raw body.
UNREADABLE = frozenset({Kind.NOT_JSON, Kind.HTML, Kind.EMPTY})


@dataclasses.dataclass(frozen=True, slots=True)
class OffSpecAnswer:
    """One answer body: its bytes and Content-Type, how it departs from the spec, and where."""

    kind: Kind
    content: bytes
    content_type: str | None
    where: str
    """The JSON pointer of the changed value (`""` for the whole body)."""
    expected: Any = None
    """For a TOLERATED kind: the JSON the parsed model's to_dict() must give back."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    """A property of an object inside a concrete body, with its schema."""

    parent: tuple[str | int, ...]
    name: str
    schema: dict[str, Any]
    required: bool
    present: bool


def _objects(
    value: Any, schema: dict[str, Any], spec: dict[str, Any], at: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every (location, schema) of an object with declared properties inside `value`."""
    schema = resolve(schema, spec)
    if isinstance(value, dict) and "properties" in schema:
        yield at, schema
        for name, sub in schema["properties"].items():
            if name in value:
                yield from _objects(value[name], sub, spec, (*at, name))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _objects(item, schema["items"], spec, (*at, index))


def _fields(body: Any, schema: dict[str, Any], spec: dict[str, Any]) -> list[_Field]:
    found = []
    for at, object_schema in _objects(body, schema, spec):
        node = _at(body, at)
        required = set(object_schema.get("required", []))
        for name, sub in object_schema["properties"].items():
            found.append(_Field(at, name, resolve(sub, spec), name in required, name in node))
    return found


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"/{str(step).replace('~', '~0').replace('/', '~1')}" for step in path)


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None and "enum" in schema:
        names = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
        return {names.get(type(value), "object") for value in schema["enum"]}
    return set(declared) if isinstance(declared, list) else {declared} if declared else set()


_JSON_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=20),
    "integer": st.integers(),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    "boolean": st.booleans(),
    "object": st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    "array": st.lists(st.integers(), max_size=2),
}


def _not_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return True
    return False


def _wrong_value(field: _Field) -> st.SearchStrategy[Any]:
    """A value of a type the field's schema does not allow (or a non-UUID string for `format: uuid`)."""
    declared = _types(field.schema)
    if "number" in declared:
        declared.add("integer")
    others = [strategy for name, strategy in _JSON_TYPES.items() if name not in declared]
    if field.required and "null" not in declared:
        others.append(st.none())  # null where a value is required (in an optional field it is tolerated)
    if field.schema.get("format") == "uuid":
        others.append(st.text(max_size=40).filter(_not_uuid))
    return st.one_of(others)


def _unknown_enum_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    known = set(schema["enum"])
    return st.text(min_size=1, max_size=24).filter(lambda value: value not in known)


_NOT_JSON = st.one_of(
    st.sampled_from([b"Internal Server Error", b"Invalid HTTP request received.", b"OK", b"{", b"{'id': 1}"]),
    st.binary(min_size=1, max_size=64),
).filter(lambda content: not _is_json(content))


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


@st.composite
def _answer(draw: st.DrawFn, operation_id: str, status: int) -> OffSpecAnswer:
    spec = load_spec()
    schema = spec_operations()[operation_id].responses[status]
    body = draw(response_bodies(operation_id, status), label="valid body")
    fields = _fields(body, schema, spec)
    choices: dict[Kind, list[_Field]] = {
        Kind.UNKNOWN_ENUM_VALUE: [f for f in fields if f.present and "enum" in f.schema],
        Kind.NULL_IN_OPTIONAL_FIELD: [f for f in fields if not f.required and "null" not in _types(f.schema)],
        Kind.WRONG_TYPE: fields,
    }
    objects = sorted({f.parent for f in fields})
    kinds = [kind for kind in Kind if choices.get(kind, True) and (kind != Kind.UNKNOWN_FIELD or objects)]
    kind = draw(st.sampled_from(kinds), label="kind")
    if kind in UNREADABLE:
        return draw(_unreadable(kind, status))
    broken = copy.deepcopy(body)
    expected = copy.deepcopy(body)
    if kind is Kind.UNKNOWN_FIELD:
        parent = draw(st.sampled_from(objects), label="object")
        declared = set(_schema_at(schema, spec, body, parent)["properties"])
        name = draw(st.text(min_size=1, max_size=12).filter(lambda n: n not in declared and n not in _at(body, parent)))
        value = draw(st.one_of(st.none(), *_JSON_TYPES.values()), label="value")
        _at(broken, parent)[name] = value
        _at(expected, parent)[name] = value
        where = _pointer((*parent, name))
    else:
        field = draw(st.sampled_from(choices[kind]), label="field")
        where = _pointer((*field.parent, field.name))
        if kind is Kind.UNKNOWN_ENUM_VALUE:
            value = draw(_unknown_enum_value(field.schema), label="value")
            _at(broken, field.parent)[field.name] = value
            _at(expected, field.parent)[field.name] = value
        elif kind is Kind.NULL_IN_OPTIONAL_FIELD:
            _at(broken, field.parent)[field.name] = None
            _at(expected, field.parent).pop(field.name, None)
        else:
            _at(broken, field.parent)[field.name] = draw(_wrong_value(field), label="value")
            expected = None
    content = json.dumps(broken).encode()
    return OffSpecAnswer(kind, content, "application/json", where, expected if kind in TOLERATED else None)


def _schema_at(schema: dict[str, Any], spec: dict[str, Any], body: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
    for at, object_schema in _objects(body, schema, spec):
        if at == path:
            return object_schema
    raise LookupError(path)


def _unreadable(kind: Kind, status: int) -> st.SearchStrategy[OffSpecAnswer]:
    if kind is Kind.EMPTY:
        return st.sampled_from([None, "application/json", "text/plain"]).map(
            lambda content_type: OffSpecAnswer(kind, b"", content_type, "")
        )
    if kind is Kind.HTML:
        page = st.text(max_size=40).map(
            lambda text: (
                f"<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center>"
                f"<hr><center>{text}</center></body></html>"
            ).encode()
        )
        return page.map(lambda content: OffSpecAnswer(kind, content, "text/html", ""))
    content_types = st.sampled_from(["text/plain; charset=utf-8", "application/json", None])
    return st.builds(lambda content, ct: OffSpecAnswer(kind, content, ct, ""), _NOT_JSON, content_types)


def off_spec_answers(operation_id: str, status: int) -> st.SearchStrategy[OffSpecAnswer]:
    """Off-spec answers for a documented status of an operation, every Kind that its schema admits."""
    return _answer(operation_id, status)
