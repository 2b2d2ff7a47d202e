"""URL routing derived from the spec's paths, mounted under `/api` as Dots' own API is.

Routing works on path segments: the raw path (as sent, before percent-decoding) is split on `/`
and only then is each segment decoded, so an encoded slash (`%2F`) stays inside its segment
(`/api/v2/payment-intents/<id>%2Fconfirm` is a retrieve of the id `<id>/confirm`, which is no
UUID) and can never make a new segment.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from dots_spec.operations import operations

BASE_PATH = "/api"
_TEMPLATE_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One spec path: its pattern, its segments (None where a parameter is), the operation of each method."""

    template: str
    pattern: re.Pattern[str]  # for a path with nothing left to decode: one regex match
    segments: tuple[str | None, ...]  # for decoded segments
    parameters: tuple[tuple[int, str], ...]  # (segment index, parameter name)
    operations: Mapping[str, str]  # "POST" -> operationId

    @property
    def allowed(self) -> tuple[str, ...]:
        """The methods this path has, for a 405's `Allow` header."""
        return tuple(sorted(self.operations))

    def match_segments(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters if `segments` (decoded) are this route's, else None."""
        if len(segments) != len(self.segments):
            return None
        for literal, segment in zip(self.segments, segments, strict=True):
            if literal is None:
                if not segment:
                    return None
            elif segment != literal:
                return None
        return {name: segments[index] for index, name in self.parameters}


class Router:
    """Matches request paths to spec paths; a parameter is exactly one non-empty path segment."""

    def __init__(self, spec: dict[str, Any], base_path: str = BASE_PATH) -> None:
        by_path: dict[str, dict[str, str]] = {}
        for path, method, operation in operations(spec):
            by_path.setdefault(path, {})[method.upper()] = operation["operationId"]
        self.routes = tuple(_route(base_path + path, methods) for path, methods in by_path.items())

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and path parameters for a path with nothing to decode (every `/` separates), or None."""
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is not None:
                return route, found.groupdict()
        return None

    def match_raw(self, raw_path: bytes) -> tuple[Route, dict[str, str]] | None:
        """The route and path parameters for a raw path (ASGI's `raw_path`), each segment decoded after splitting."""
        raw_path = raw_path.partition(b"?")[0]  # some servers (httpx's ASGI transport) include the query
        if b"%" not in raw_path:  # the usual case: nothing to decode
            return self.match(raw_path.decode("utf-8", "replace"))
        segments = [unquote_to_bytes(segment).decode("utf-8", "replace") for segment in raw_path.split(b"/")]
        for route in self.routes:
            params = route.match_segments(segments)
            if params is not None:
                return route, params
        return None


def _route(template: str, methods: dict[str, str]) -> Route:
    segments: list[str | None] = []
    parameters: list[tuple[int, str]] = []
    pattern: list[str] = []
    for index, segment in enumerate(template.split("/")):
        parameter = _TEMPLATE_PARAMETER.fullmatch(segment)
        if parameter is not None:
            segments.append(None)
            parameters.append((index, parameter.group(1)))
            pattern.append(f"(?P<{parameter.group(1)}>[^/]+)")
        elif "{" in segment or "}" in segment:
            raise NotImplementedError(f"{template}: a path parameter must be a whole segment")
        else:
            segments.append(segment)
            pattern.append(re.escape(segment))
    return Route(template, re.compile("/".join(pattern), re.DOTALL), tuple(segments), tuple(parameters), methods)
