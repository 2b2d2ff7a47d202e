"""URL routing derived from the spec's paths, mounted under `/api` as Dots' own API is."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from dots_sandbox.spec import operations

BASE_PATH = "/api"
_TEMPLATE_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One spec path: its pattern and the operation of each HTTP method."""

    template: str
    pattern: re.Pattern[str]
    operations: Mapping[str, str]  # "POST" -> operationId

    @property
    def allowed(self) -> tuple[str, ...]:
        """The methods this path has, for a 405's `Allow` header."""
        return tuple(sorted(self.operations))


class Router:
    """Matches request paths to spec paths; a parameter is one non-empty path segment."""

    def __init__(self, spec: dict[str, Any], base_path: str = BASE_PATH) -> None:
        by_path: dict[str, dict[str, str]] = {}
        for path, method, operation in operations(spec):
            by_path.setdefault(path, {})[method.upper()] = operation["operationId"]
        self.routes = tuple(
            Route(base_path + path, _compile(base_path + path), methods) for path, methods in by_path.items()
        )

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and path parameters for `path`, or None."""
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is not None:
                return route, found.groupdict()
        return None


def _compile(template: str) -> re.Pattern[str]:
    pattern, position = [], 0
    for parameter in _TEMPLATE_PARAMETER.finditer(template):
        pattern.append(re.escape(template[position : parameter.start()]))
        pattern.append(f"(?P<{parameter.group(1)}>[^/]+)")
        position = parameter.end()
    pattern.append(re.escape(template[position:]))
    return re.compile("".join(pattern), re.DOTALL)
