"""nox sessions (`make test-client` runs them): the generated client on every Python it claims.

Each session gets a fresh environment (uv) with that Python's pinned dependencies
(`requirements/client-py3.X.lock`, hashes required), installs the client from `generated/` as a
user would (a built package, not the source tree: `Dots`, `AsyncDots` and the low-level layer, one
package), and runs its tests and the contract suite's client-contract group. Tests that need a
live sandbox start it on the project's own environment (`SANDBOX_PYTHON`, set by
`make test-client`): the server is not the client's to carry.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]
CLIENT_TESTS = ["tests/dots_client", "contract_tests/test_client_contract.py"]

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["client"]


@nox.session(python=PYTHONS)
def client(session: nox.Session) -> None:
    """tests/dots_client and contract_tests/test_client_contract.py on this Python."""
    session.install("--require-hashes", "-r", f"requirements/client-py{session.python}.lock")
    # --force-reinstall: the version in generated/ stays the same while its code changes between specs.
    session.install("--no-deps", "--no-build-isolation", "--force-reinstall", "./generated")
    session.run("pytest", *CLIENT_TESTS, "-p", "no:cacheprovider", *session.posargs)
