"""Contains some shared types for properties"""

from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, BinaryIO, Generic, Literal, TypeVar

from attrs import define, field


class Unset:
    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        """dots: a model's repr shows a field left out as `UNSET`, the name to compare it with"""
        return "UNSET"


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


# dots: a status that http.HTTPStatus does not name must not crash the call; a dict lookup
# costs a tenth of HTTPStatus(code).
_HTTP_STATUSES: dict[int, HTTPStatus] = {int(status): status for status in HTTPStatus}


def status_of(code: int) -> HTTPStatus | int:
    """`code` as an HTTPStatus, or as a plain int when http.HTTPStatus names no such status (e.g. 520)"""
    return _HTTP_STATUSES.get(code, code)


@define
class Response(Generic[T]):
    """A response from an endpoint. `status_code` is an int only for a status HTTPStatus does not name.

    `parsed` is the documented model of a documented status, else None. `parse_error` is None, or
    (dots:) the error met reading the body of a documented status that the models cannot read (not
    JSON, empty, HTML, another shape or type); `parsed` is then None, and `content` holds the body.
    """

    status_code: HTTPStatus | int
    # dots: the repr shows the body's size only: a create answer holds the client_secret
    content: bytes = field(repr=lambda content: f"<{len(content)} bytes>")
    headers: MutableMapping[str, str]
    parsed: T | None
    parse_error: Exception | None = None


__all__ = ["UNSET", "File", "FileTypes", "RequestFiles", "Response", "Unset", "status_of"]
