"""The generated client's function and models for each operation of the spec, found by name.

openapi-python-client names things after the spec (`dots_client.api.<tag>.<operationId>`,
`dots_client.models.<SchemaName>`), so the suite finds them from openapi.yaml rather than from a
hand-written table: an operation added to the spec is covered without editing the suite.
"""

from __future__ import annotations

import importlib
import types
import uuid
from typing import Any

import dots_client.models
from dots_client import AuthenticatedClient
from dots_client.types import Response

from .spec_data import Operation, schema_name


def client_module(op: Operation) -> types.ModuleType:
    """The generated module of an operation (`sync`, `sync_detailed`, `asyncio`, `asyncio_detailed`)."""
    return importlib.import_module(f"dots_client.api.{op.tag.replace('-', '_')}.{op.operation_id}")


def model(schema: dict[str, Any]) -> type[Any]:
    """The generated model class of a `$ref` schema."""
    found: type[Any] = getattr(dots_client.models, schema_name(schema))
    return found


def call_kwargs(op: Operation, path: dict[str, uuid.UUID], body: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments of the generated functions: path parameters, then the body as its model."""
    kwargs: dict[str, Any] = dict(path)
    if op.request_schema is not None:
        assert body is not None, f"{op.operation_id} takes a body"
        kwargs["body"] = model(op.request_schema).from_dict(body)
    return kwargs


def call_sync(
    op: Operation, client: AuthenticatedClient, path: dict[str, uuid.UUID], body: dict[str, Any] | None
) -> Response[Any]:
    """`sync_detailed` of the operation."""
    response: Response[Any] = client_module(op).sync_detailed(client=client, **call_kwargs(op, path, body))
    return response


async def call_async(
    op: Operation, client: AuthenticatedClient, path: dict[str, uuid.UUID], body: dict[str, Any] | None
) -> Response[Any]:
    """`asyncio_detailed` of the operation."""
    response: Response[Any] = await client_module(op).asyncio_detailed(client=client, **call_kwargs(op, path, body))
    return response
