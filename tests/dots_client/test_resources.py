"""The generated resource classes: a method per operation of the spec, keyword arguments from its request schema."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import pytest
from dots_client import AsyncDots, Dots
from dots_client.api.payment_intents import (
    AsyncPaymentIntents,
    AsyncPaymentIntentsWithRawResponse,
    PaymentIntents,
    PaymentIntentsWithRawResponse,
)

from dots_spec.document import load_spec
from dots_spec.operations import operations
from dots_spec.refs import resolve

RESOURCE_CLASSES = [
    PaymentIntents,
    PaymentIntentsWithRawResponse,
    AsyncPaymentIntents,
    AsyncPaymentIntentsWithRawResponse,
]
OPERATIONS = [
    (operation["operationId"], path, method, operation)
    for path, method, operation in operations()
    if "payment-intents" in operation.get("tags", [])
]


def _method_name(operation_id: str) -> str:
    return operation_id.removesuffix("_payment_intent")


def test_every_operation_of_the_spec_is_a_method() -> None:
    """Each resource class has exactly one method per operation of its tag, named by the operation's verb."""
    expected = {_method_name(operation_id) for operation_id, *_ in OPERATIONS}
    assert expected == {"create", "retrieve", "confirm"}
    for cls in RESOURCE_CLASSES:
        public = {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}
        assert public == expected, cls


@pytest.mark.parametrize(("operation_id", "path", "method", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_arguments_are_the_path_parameters_and_the_body_properties(
    operation_id: str, path: str, method: str, operation: dict[str, Any]
) -> None:
    """Path parameters come first, positionally; body properties are keyword-only, required ones with no default."""
    body_schema: dict[str, Any] = {}
    if "requestBody" in operation:
        body_schema = resolve(operation["requestBody"]["content"]["application/json"]["schema"], load_spec())
    required = set(body_schema.get("required", []))
    properties = set(body_schema.get("properties", {}))
    path_names = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
    for cls in RESOURCE_CLASSES:
        parameters = inspect.signature(getattr(cls, _method_name(operation_id))).parameters
        positional = [p.name for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
        keyword = {p.name: p for p in parameters.values() if p.kind is p.KEYWORD_ONLY}
        assert positional == path_names
        assert set(keyword) == properties | {"timeout", "max_retries", "deadline"}
        assert {name for name in properties if keyword[name].default is inspect.Parameter.empty} == required


def test_async_methods_are_coroutines_and_sync_ones_are_not() -> None:
    """AsyncDots' methods are `async def` (httpx.AsyncClient end to end); Dots' are plain functions."""
    for name in ("create", "retrieve", "confirm"):
        assert inspect.iscoroutinefunction(getattr(AsyncPaymentIntents, name))
        assert inspect.iscoroutinefunction(getattr(AsyncPaymentIntentsWithRawResponse, name))
        assert not inspect.iscoroutinefunction(getattr(PaymentIntents, name))


def test_clients_expose_one_resource_per_tag() -> None:
    """`dots.payment_intents` and its `with_raw_response` are the generated classes, kept per client."""
    dots = Dots(client_id="id", api_key="key")
    assert type(dots.payment_intents) is PaymentIntents
    assert dots.payment_intents is dots.payment_intents
    assert type(dots.payment_intents.with_raw_response) is PaymentIntentsWithRawResponse
    assert type(AsyncDots(client_id="id", api_key="key").payment_intents) is AsyncPaymentIntents


def test_every_tag_of_the_spec_is_a_resource_of_both_clients() -> None:
    """Dots and AsyncDots have one resource attribute per tag of the spec's operations, `webhooks`, and no other."""
    tags = {tag.replace("-", "_") for _, _, operation in operations() for tag in operation.get("tags", [])}
    for cls in (Dots, AsyncDots):
        resources = {name for name, value in vars(cls).items() if isinstance(value, functools.cached_property)}
        assert resources == tags | {"webhooks"}, cls
