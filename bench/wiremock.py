"""WireMock, the peer users compare the sandbox with: static stubs of the spec's operations.

The stubs are made from openapi.yaml (nothing restated by hand): one per operation, matching its
method, its path (each `{parameter}` one segment) and the Basic credentials, and answering 200
with the operation's first 200 example. WireMock runs from the standalone jar that the npm
package `wiremock` bundles (`make bench` installs it into .tools/), on the machine's java.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from dots_spec.document import load_spec
from dots_spec.operations import operations

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / ".tools" / "wiremock" / "node_modules" / "wiremock"
_PARAMETER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def jar() -> Path | None:
    """The standalone jar inside the installed npm package, or None when it is not installed."""
    found = sorted(PACKAGE.glob("**/wiremock-standalone-*.jar"))
    return found[-1] if found else None


def stub_mappings(spec: dict[str, Any], user: str, password: str, prefix: str = "") -> list[dict[str, Any]]:
    """WireMock stub mappings, one per operation of `spec`: method, path pattern and Basic credentials.

    A request without the credentials matches no stub and WireMock answers 404 (it has no 401 of
    its own); wrk counts that as a failed answer, so a bench run shows it.
    """
    mappings = []
    for path, method, operation in operations(spec):
        pattern = "[^/]+".join(re.escape(literal) for literal in _PARAMETER.split(prefix + path))
        example = _first_example(operation["responses"]["200"]["content"]["application/json"])
        mappings.append(
            {
                "name": operation["operationId"],
                "request": {
                    "method": method.upper(),
                    "urlPathPattern": pattern,
                    "basicAuthCredentials": {"username": user, "password": password},
                },
                "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "jsonBody": example},
            }
        )
    return mappings


def authorization(user: str, password: str) -> str:
    """The Authorization header value the stubs accept."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def start(root_dir: Path, port: int, user: str, password: str) -> subprocess.Popen[bytes]:
    """Write the stubs under `root_dir/mappings` and start WireMock on 127.0.0.1:`port` (no request journal)."""
    path = jar()
    if path is None:
        raise FileNotFoundError(f"no WireMock jar under {PACKAGE}")
    mappings = root_dir / "mappings"
    mappings.mkdir(parents=True, exist_ok=True)
    for index, mapping in enumerate(stub_mappings(load_spec(), user, password)):
        (mappings / f"{index}-{mapping['name']}.json").write_text(json.dumps(mapping), encoding="utf-8")
    cmd = ["java", "-jar", str(path), "--bind-address", "127.0.0.1", "--port", str(port),
           "--root-dir", str(root_dir), "--disable-banner", "--no-request-journal"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _first_example(media: dict[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    return next(iter(media["examples"].values()))["value"]
