"""Request validation, compiled once from openapi.yaml at start-up.

For each operation: the JSON Schema validators of its path parameters and of its request body
(jsonschema-rs, formats asserted), and the media types its body may have. Nothing here restates
a schema: a field, a limit or a format changes in the spec and the sandbox follows.

Parsing is stricter than `json.loads`, so that what is stored is exactly what JSON says: UTF-8
only, no NaN/Infinity, no duplicate keys, no lone surrogates (they cannot be stored as UTF-8),
numbers within float range, nesting at most MAX_DEPTH levels. Numbers with a fraction or an
exponent are read exactly (as `Decimal`): JSON Schema counts `1000.0` and `1e3` as the integer
1000, so exactly integral numbers become integers, and `1.0000000000000001` stays a non-integer
(a float would round it to 1). The schema checks the exact value; a valid body's remaining
non-integers are stored as floats.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema_rs

from dots_sandbox import errors
from dots_spec.operations import operations
from dots_spec.refs import resolve
from dots_spec.validators import compile_schema

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

# The deepest nesting of arrays and objects a body may have (the document itself is level 1).
# No valid body nests deeper than 3; the cap keeps every later stage (the decoder, the validator,
# which cannot format an instance nested 256 deep) far from its own limits.
MAX_DEPTH = 32
_TOO_DEEP = f"The body is nested deeper than {MAX_DEPTH} levels"
# A JSON string (skipped: brackets inside it are text) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
# Numbers beyond float range are refused before any conversion: comparing Decimals looks at
# their exponents first, whereas `int(Decimal("1e999999999"))` would build a billion digits.
_MAX_FLOAT = decimal.Decimal(sys.float_info.max)


@dataclasses.dataclass(frozen=True, slots=True)
class OperationRules:
    """What a request to one operation must satisfy."""

    operation_id: str
    path_parameters: Mapping[str, jsonschema_rs.Validator]
    body: jsonschema_rs.Validator | None
    body_required: bool
    media_types: frozenset[str]

    def check_path(self, params: Mapping[str, str]) -> None:
        """Raise 400 invalid-input unless every path parameter matches its schema."""
        problems = [
            (f"path.{name}", error.message)
            for name, validator in self.path_parameters.items()
            if not validator.is_valid(params[name])
            for error in validator.iter_errors(params[name])
        ]
        if problems:
            raise errors.invalid_input(problems)

    def accepts_media_type(self, content_type: bytes | None) -> bool:
        """Whether a Content-Type header names one of the body's media types (charset UTF-8 if any)."""
        if content_type is None:
            return False
        media_type, *params = content_type.decode("latin-1").split(";")
        if media_type.strip().lower() not in self.media_types:
            return False
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                return False
        return True

    def check_body(self, raw: bytes) -> Any:
        """Parse `raw` and validate it against the body schema; raise 400 invalid-input if either fails."""
        if self.body is None or (not raw and not self.body_required):
            return None
        if not raw:
            raise errors.invalid_input([("body", "A JSON request body is required")])
        return self.check_document(parse_json(raw))

    def check_document(self, document: Any) -> Any:
        """Validate a parsed body; raise 400 invalid-input listing every problem. The document, floats for Decimals.

        The validator never turns a request into a 500: should it fail on a document (jsonschema-rs
        raises ValueError for one nested too deeply to describe), the answer is a 400 saying so.
        """
        if self.body is None:
            return document
        try:
            if self.body.is_valid(document):
                return _plain(document)
            problems = [(location(error.instance_path), error.message) for error in self.body.iter_errors(document)]
        except ValueError as error:
            problems = [("body", f"The body cannot be validated: {error}")]
        raise errors.invalid_input(problems)


def compile_rules(spec: dict[str, Any]) -> dict[str, OperationRules]:
    """OperationRules for every operation in the spec, by operationId."""
    rules: dict[str, OperationRules] = {}
    for path, method, operation in operations(spec):
        item = spec["paths"][path]
        parameters = {}
        for ref in [*item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = resolve(ref, spec)
            if parameter["in"] != "path":
                raise NotImplementedError(f"{method.upper()} {path}: {parameter['in']} parameters are not supported")
            parameters[parameter["name"]] = compile_schema(parameter["schema"], spec)
        body = None
        body_required = False
        media_types: frozenset[str] = frozenset()
        if "requestBody" in operation:
            request_body = resolve(operation["requestBody"], spec)
            content = request_body["content"]
            media_types = frozenset(media_type.lower() for media_type in content)
            if media_types != {"application/json"}:
                raise NotImplementedError(f"{method.upper()} {path}: only application/json bodies are supported")
            body = compile_schema(content["application/json"]["schema"], spec)
            body_required = bool(request_body.get("required", False))
        rules[operation["operationId"]] = OperationRules(
            operation["operationId"], parameters, body, body_required, media_types
        )
    return rules


def parse_json(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes (non-integral numbers as Decimal); raise 400 invalid-input with the reason."""
    try:
        text = raw.decode("utf-8")
        if _too_deep(text):
            raise errors.invalid_input([("body", _TOO_DEEP)])
        document = _DECODER.decode(text)
        if _SURROGATE_ESCAPE.search(text):
            # Valid pairs were combined into one code point; a lone surrogate cannot be encoded.
            json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")  # default: Decimals
    except UnicodeDecodeError:
        raise errors.invalid_input([("body", "The body is not valid UTF-8 text")]) from None
    except UnicodeEncodeError:
        message = "The body has a string with an unpaired surrogate escape (\\ud800 to \\udfff), which is not text"
        raise errors.invalid_input([("body", message)]) from None
    except RecursionError:  # not expected after _too_deep; kept so that it could never be a 500
        raise errors.invalid_input([("body", _TOO_DEEP)]) from None
    except ValueError as error:  # JSONDecodeError and the hooks below
        raise errors.invalid_input([("body", f"The body is not valid JSON: {error}")]) from None
    return document


def location(instance_path: Sequence[str | int]) -> str:
    """`body.metadata.order_id`, `body.payment_method_types[0]`, or `body` for the whole document."""
    parts = ["body"]
    for part in instance_path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return document


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH (exact for valid JSON; cheap when few brackets)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = text[token.start()]
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket != '"':
            depth -= 1
    return False


def _number(text: str) -> int | decimal.Decimal:
    """A number with a fraction or an exponent, exactly: an int if integral, else a Decimal."""
    value = decimal.Decimal(text)  # a valid JSON number: finite, no NaN
    if value.copy_abs() > _MAX_FLOAT:
        raise ValueError(f"number {text[:40]} is out of range")
    if value == value.to_integral_value():
        return int(value)
    return value


def _plain(document: Any) -> Any:
    """`document` with every Decimal as a float (what is stored and answered); itself if it has none."""
    return _floats(document) if _has_decimal(document) else document


def _has_decimal(document: Any) -> bool:
    if isinstance(document, dict):
        return any(_has_decimal(value) for value in document.values())
    if isinstance(document, list):
        return any(_has_decimal(value) for value in document)
    return isinstance(document, decimal.Decimal)


def _floats(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: _floats(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_floats(value) for value in document]
    return float(document) if isinstance(document, decimal.Decimal) else document


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=_number, parse_constant=_constant)
