"""`info.version`: the spec's version, and the first three numbers of the `dots-client` package's.

The package's version is `info.version` plus a fourth number, the generator's revision
(`codegen/revision.yaml`, read by `tools.client_version`), since the templates change the client
too: one version must name one package. Python packaging needs a PEP 440 version, so a spec whose
`info.version` is not one cannot be generated.
"""

from __future__ import annotations

from typing import Any

from packaging.version import InvalidVersion, Version


class InvalidSpecVersion(ValueError):
    """`info.version` is missing or is not a PEP 440 version, so no package can carry it."""


def info_version(spec: dict[str, Any]) -> str:
    """`info.version` as written (a string; empty when the document has none)."""
    return str((spec.get("info") or {}).get("version", ""))


def package_version(spec: dict[str, Any]) -> Version:
    """`info.version` as the package version it becomes.

    Raises :class:`InvalidSpecVersion` when it is missing or not a valid PEP 440 version
    (https://peps.python.org/pep-0440/; `1.2.0`, `2.0.0rc1` and `1.0.0.post1` are, `1.0.x` and `next` are not).
    """
    raw = info_version(spec)
    try:
        return Version(raw)
    except InvalidVersion:
        raise InvalidSpecVersion(
            f"info.version {raw!r} is not a valid PEP 440 version (e.g. 1.2.0 or 2.0.0rc1), and it is "
            "dots-client's package version too"
        ) from None
