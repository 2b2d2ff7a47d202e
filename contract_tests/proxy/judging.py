"""One exchange judged against openapi.yaml: the request by the spec's schemas, the answer by schemathesis.

The request (operation, path parameters, auth scheme, content type, body) is judged with the
validators `dots_spec` compiles from the spec: that is what decides `request-invalid`, and it is
fast enough to run before forwarding (`--strict`). The answer is judged by schemathesis' own
checks (`CHECKS`), each called on a `Case` built from the request as it was sent and a
`Response` built from the bytes the upstream answered: the proxy re-implements none of them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import zlib
from typing import Any

import jsonschema_rs
import requests
import requests.structures
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dots_spec.document import load_spec
from dots_spec.validators import compile_schema

from ..spec_data import JSON, Operation, load_schema, spec_operations
from .forwarding import Exchange

CHECKS = (status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance)
REQUEST_CHECK = "request_conformance"
# The sandbox's failure controls (Prefer: dots-fault=...): answers it was asked to get wrong on purpose.
FAULT_PREFERENCE = b"dots-fault"
_DECODERS = {b"gzip": 47, b"x-gzip": 47, b"deflate": 15}  # zlib wbits: gzip header, zlib header


@dataclasses.dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which check, on which operation and intent, what was expected and what was found."""

    check: str
    operation: str
    intent_id: str | None
    expected: str
    found: str


@dataclasses.dataclass
class RequestJudgement:
    """What the request is: its operation (None outside the spec), its path parameters, its problems."""

    operation: Operation | None
    path_parameters: dict[str, str]
    problems: list[str]
    body: Any = None
    """The request body as JSON, when it parsed."""
    not_judged: str | None = None
    """Why the exchange is not judged at all (outside the spec), or None."""

    @property
    def label(self) -> str:
        """The operationId, or `METHOD path` for a request that names none."""
        return self.operation.operation_id if self.operation is not None else ""


def caller(exchange: Exchange) -> str | None:
    """The HTTP Basic user name (Dots' client id) of the request, or None."""
    value = exchange.request_header(b"authorization")
    if value is None or value[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, _ = decoded.partition(":")
    return user if colon else None


@functools.cache
def _validators() -> dict[str, tuple[dict[str, jsonschema_rs.Validator], jsonschema_rs.Validator | None]]:
    spec = load_spec()
    return {
        op.operation_id: (
            {name: compile_schema(schema, spec) for name, schema in op.path_parameters.items()},
            compile_schema(op.request_schema, spec) if op.request_schema is not None else None,
        )
        for op in spec_operations().values()
    }


def _errors(validator: jsonschema_rs.Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path)) or 'body'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def judge_request(exchange: Exchange, base_path: str) -> RequestJudgement:
    """Which operation `exchange`'s request is, and how it breaks the spec (an empty list: it conforms).

    `base_path` is the upstream URL's path (`/api`), which the spec's paths follow. A path no
    operation of the spec has is `not_judged`; a spec path with an undocumented method is a
    problem of the request (its answer must be a 4xx).
    """
    path = exchange.path
    if not path.startswith(base_path + "/"):
        return RequestJudgement(None, {}, [], not_judged=f"outside the spec's base path {base_path}")
    path = path[len(base_path) :]
    matched = [(op, found) for op in spec_operations().values() if (found := op.path_regex().match(path))]
    if not matched:
        return RequestJudgement(None, {}, [], not_judged="a path the spec does not have")
    chosen = next(((op, found) for op, found in matched if op.method.upper() == exchange.method.upper()), None)
    if chosen is None:
        methods = ", ".join(sorted(op.method.upper() for op, _ in matched))
        return RequestJudgement(None, {}, [f"method {exchange.method} is not documented for this path ({methods})"])
    op, found = chosen
    parameters = dict(found.groupdict())
    problems: list[str] = []
    parameter_validators, body_validator = _validators()[op.operation_id]
    for name, value in parameters.items():
        problems += [f"path.{name}: {message}" for message in _errors(parameter_validators[name], value)]
    if op.security_schemes and caller(exchange) is None:
        problems.append("no HTTP Basic credentials (the operation requires basicAuth)")
    body: Any = None
    if body_validator is not None:
        content_type = (exchange.request_header(b"content-type") or b"").split(b";")[0].strip().lower()
        if content_type != JSON.encode():
            problems.append(f"content type {content_type.decode('latin-1')!r} is not {JSON}")
        try:
            body = json.loads(exchange.request_body)
        except RecursionError:
            return RequestJudgement(op, parameters, problems, not_judged="a request body nested too deeply to parse")
        except ValueError:  # not UTF-8 included (UnicodeDecodeError)
            problems.append("the body is not JSON")
        else:
            problems += _errors(body_validator, body)
    return RequestJudgement(op, parameters, problems, body=body)


def not_judged_answer(exchange: Exchange) -> str | None:
    """Why the answer is not judged (the sandbox's failure controls), or None."""
    applied = exchange.response_header(b"preference-applied") or b""
    if any(part.strip().startswith(FAULT_PREFERENCE) for part in applied.split(b",")):
        return "fault injected, not judged (Preference-Applied: dots-fault)"
    return None


def decoded_body(exchange: Exchange) -> bytes | None:
    """The answer body with its Content-Encoding undone (gzip, deflate), or None for one it cannot undo."""
    encoding = (exchange.response_header(b"content-encoding") or b"identity").strip().lower()
    if encoding == b"identity":
        return exchange.response_body
    if encoding not in _DECODERS:
        return None
    try:
        return zlib.decompressobj(wbits=_DECODERS[encoding]).decompress(exchange.response_body)
    except zlib.error:
        return None


@functools.cache
def _schema() -> schemathesis.BaseSchema:
    return load_schema()


def warm_up() -> None:
    """Load the spec, compile its validators and schemathesis' operations (once per process)."""
    _validators()
    schema = _schema()
    for op in spec_operations().values():
        schema[op.path][op.method.upper()]


def _response(exchange: Exchange, body: bytes, url: str) -> schemathesis.Response:
    # The request as sent, without requests' prepare() (URL and body re-encoding the checks do not need).
    request = requests.PreparedRequest()
    request.method, request.url, request.body = exchange.method, url, exchange.request_body
    request.headers = requests.structures.CaseInsensitiveDict(_text_headers(exchange.request_headers))
    headers: dict[str, list[str]] = {}
    for name, value in _text_headers(exchange.response_headers):
        if name.lower() != "content-encoding":  # the body handed over is decoded
            headers.setdefault(name.lower(), []).append(value)
    return schemathesis.Response(
        status_code=exchange.status,
        headers=headers,
        content=body,
        request=request,
        elapsed=exchange.elapsed,
        verify=True,
    )


def _text_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def judge_answer(exchange: Exchange, request: RequestJudgement, *, intent_id: str | None) -> dict[str, list[Violation]]:
    """Each of schemathesis' CHECKS on the answer: check name → its violations (an empty list: it passed).

    Call only for an exchange with an operation and an answer from the upstream. A body whose
    Content-Encoding cannot be undone fails response_schema_conformance saying so.
    """
    assert request.operation is not None
    op = request.operation
    operation = _schema()[op.path][op.method.upper()]
    case_body = request.body if request.body is not None else schemathesis.core.NOT_SET
    case = operation.Case(
        path_parameters=request.path_parameters,
        headers=dict(_text_headers(exchange.request_headers)),
        body=case_body,
        media_type=JSON if request.body is not None else None,
    )
    results: dict[str, list[Violation]] = {}
    body = decoded_body(exchange)
    response = _response(exchange, body if body is not None else b"", "http://proxy" + exchange.target)
    if body is not None and _passes(case, response, list(CHECKS)):
        return {check.__name__: [] for check in CHECKS}  # the common case: one call for all four
    for check in CHECKS:
        name = check.__name__
        results[name] = []
        if body is None and check is response_schema_conformance:
            encoding = (exchange.response_header(b"content-encoding") or b"").decode("latin-1")
            results[name].append(Violation(name, op.operation_id, intent_id, "a body the proxy can decode", encoding))
            continue
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            results[name] += [_violation(name, op.operation_id, intent_id, failure) for failure in group.exceptions]
        except Failure as failure:
            results[name].append(_violation(name, op.operation_id, intent_id, failure))
    return results


def _passes(case: schemathesis.Case[Any], response: schemathesis.Response, checks: list[Any]) -> bool:
    try:
        case.validate_response(response, checks=checks)
    except (Failure, FailureGroup):
        return False
    return True


def _violation(check: str, operation: str, intent_id: str | None, failure: Failure) -> Violation:
    """The failure's own words: its Documented/Received lines, or for a schema error where and what."""
    lines = [line for line in (failure.message or "").splitlines() if line.strip()]
    if isinstance(failure, JsonSchemaError):
        where = "/".join(map(str, failure.instance_path)) or "(the body)"
        schema = "/".join(map(str, failure.schema_path))
        found = f"{where}: {lines[0] if lines else failure.title}"
        return Violation(check, operation, intent_id, f"{failure.title} (schema: {schema})", found)
    expected = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Documented:")), failure.title)
    found = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Received:")), " ".join(lines))
    return Violation(check, operation, intent_id, expected, found[:500])
