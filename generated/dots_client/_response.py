# A copy of codegen/sdk/_response.py, written by `make generate`: edit that file, never this copy.
"""The shapes of a call and of its answer: `Call` (what a generated resource method asks the client to
send) and `RawResponse` (`dots.<resource>.with_raw_response.<method>`), with the argument
conversions the resource methods use (`as_uuid`, `plain`)."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, Generic, TypeVar

from dots_client.types import Response

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class RawResponse(Generic[T]):
    """The answer a call ended with, as `with_raw_response` gives it; `parse()` is what the plain method returns.

    - `status_code` (int) and `headers` (case-insensitive) of the answer read: for a reconciled
      confirm, the reconciling retrieve's `200`;
    - `content` (bytes): its raw body (the repr shows its size only: a create answer holds the
      `client_secret`);
    - `attempts`: requests of this operation sent (1 unless retried; a reconciling retrieve is not one);
    - `reconciled`: True when a confirm's answer was lost or ambiguous and a retrieve showed the
      intent confirmed with this call's payment method.

    Error answers raise as they do from the plain methods: a `RawResponse` is always a success.
    """

    status_code: int
    headers: MutableMapping[str, str] = dataclasses.field(repr=False)
    content: bytes = dataclasses.field(repr=False)
    attempts: int
    reconciled: bool
    parsed: T = dataclasses.field(repr=False)

    def parse(self) -> T:
        """The answer as the plain method returns it (e.g. the `PaymentIntent`)."""
        return self.parsed


@dataclasses.dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One call of an operation, as a generated resource method describes it: the low-level module's
    `_get_kwargs()` result (`kwargs`), its `_build_response` and `_undecodable` (`build`,
    `undecodable`), the model a success answer holds (`model`), and the path parameters and body
    (`path`, `body`) a reconciliation reads."""

    operation_id: str
    method: str
    kwargs: dict[str, Any]
    build: Callable[..., Response[Any]]
    undecodable: Callable[..., Response[Any]]
    model: type[T]
    path: tuple[Any, ...] = ()
    body: Any = None


def as_uuid(value: uuid.UUID | str, name: str) -> uuid.UUID:
    """`value` as a UUID; ValueError naming the argument `name` when it is not one (nothing is sent)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"{name} must be a UUID (a uuid.UUID or its hyphenated string), not {value!r}") from None


def plain(value: Any) -> Any:
    """`value` as the JSON values a model's `from_dict` reads: UUIDs and enum members as their strings,
    mappings as dicts, sequences as lists, models through `to_dict()`."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item) for item in value]
    return value
