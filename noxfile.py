"""nox sessions: the generated client on every Python it claims (`make test-matrix`; `make test` runs the newest).

Each session gets a fresh environment (uv) with that Python's pinned dependencies
(`requirements/client-py3.X.lock`, hashes required), installs the client from `generated/` as a
user would (a built package, not the source tree: `Dots`, `AsyncDots` and the low-level layer, one
package), and runs its tests and the contract suite's client-contract group on every core. Tests
that need a live sandbox start it on the project's own environment (`SANDBOX_PYTHON`, set by the
make targets): the server is not the client's to carry. The client-contract group's budget is
CONTRACT_PROFILE's (`ci` unless set; `make test` sets `quick`, having run the group at `ci` on its
own Python already).
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]
CLIENT_TESTS = ["tests/dots_client", "contract_tests/test_client_contract.py"]
# pytest-xdist, as `make unit` runs: the live-sandbox tests mostly wait, so two workers halve a session.
WORKERS = ["-n", "auto", "--dist", "worksteal"]

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["client"]


@nox.session(python=PYTHONS)
def client(session: nox.Session) -> None:
    """tests/dots_client and contract_tests/test_client_contract.py on this Python."""
    session.install("--require-hashes", "-r", f"requirements/client-py{session.python}.lock")
    session.install("--no-deps", "--no-build-isolation", "./generated")
    session.run("pytest", *CLIENT_TESTS, *WORKERS, "-p", "no:cacheprovider", *session.posargs)
