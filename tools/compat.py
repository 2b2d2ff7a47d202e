"""`make check-compat`: the gate's verdict proven by running BASE's client and the new one across versions.

`python -m tools.compat [--base REF]` checks out BASE (default `origin/main` when it exists, else `HEAD`) into
a temporary `git worktree` and runs the lifecycle smoke (:mod:`tools.compat_smoke`) twice:

- `old client -> new sandbox`: BASE's committed `generated/` (first on PYTHONPATH: no install) against a
  sandbox of the working tree's spec (`python -m dots_sandbox` from this checkout);
- `new client -> old sandbox`: the working tree's `generated/` against BASE's sandbox, started as a process
  from the worktree (so it serves BASE's `openapi.yaml` with BASE's code).

Each step is one line, such as `old client -> new sandbox: create: 400 invalid-input (expected 200
initialized)`. The verdict is the larger of the gate's bump and the Python API diff's (as `make release`
decides it): when it is `major`, failed steps are what it announced; otherwise (`minor`, `patch`, `none`)
any failed step contradicts it and the run fails, naming the first one. Exit status 0 when the run agrees
with the verdict, 1 when it contradicts it (or ran no step at all), 2 when it cannot run (unknown BASE, a
sandbox that does not start).

Both sandboxes run on `:memory:` databases, on free ports of 127.0.0.1, with the sandbox's documented local
credentials, and are stopped (and the worktree removed) before the command returns.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools import api_diff
from tools.breaking.accepted import ACCEPTED_NAME, apply, load_accepted
from tools.breaking.compare import compare
from tools.breaking.formats import larger_bump
from tools.breaking.git import GateError, default_base, is_commit, run_git, spec_at
from tools.breaking.read import read_document
from tools.breaking.verdict import release_bump
from tools.compat_smoke import DEFAULT_CREDENTIALS, Step

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
SMOKE_TIMEOUT_SECONDS = 120.0
_URL = re.compile(r"http://127\.0\.0\.1:\d+/api")


class CompatError(Exception):
    """The run cannot happen (unknown BASE, a sandbox that does not start): exit status 2."""


@dataclass(frozen=True)
class Run:
    """The steps of one direction (`old client -> new sandbox`)."""

    direction: str
    steps: list[Step]


def lines(runs: list[Run]) -> list[str]:
    """One line per step: `DIRECTION: STEP: GOT`, with `(expected ...)` after a failed one."""
    return [
        f"{run.direction}: {step.name}: {step.got}" + ("" if step.ok else f" (expected {step.expected})")
        for run in runs
        for step in run.steps
    ]


def judge(runs: list[Run], bump: str) -> tuple[int, str]:
    """The exit status and verdict line: a run contradicts any bump but `major` by failing a step."""
    steps = [(run.direction, step) for run in runs for step in run.steps]
    failed = [(direction, step) for direction, step in steps if not step.ok]
    if not steps:
        return 1, "check-compat: FAIL: no step ran"
    if not failed:
        return 0, f"check-compat: PASS: {len(steps)} steps, none failed (the changes call for a {bump} bump)"
    direction, first = failed[0]
    if bump == "major":
        return 0, f"check-compat: PASS: {len(failed)} of {len(steps)} steps failed, as the major bump announces"
    return 1, (
        f"check-compat: FAIL: the changes were judged {bump}, but {direction}: {first.name}: {first.got} "
        f"(expected {first.expected}); {len(failed)} of {len(steps)} steps failed"
    )


class SandboxProcess:
    """`python -m dots_sandbox --host 127.0.0.1 --port 0 --db :memory:` run from `checkout` (its code, its spec).

    Started when made; :meth:`started` waits for its URL, so several can start side by side.
    """

    def __init__(self, checkout: Path, env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.url = ""
        self._seen = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dots_sandbox", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:"],
            cwd=checkout,
            env={**env, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.checkout = checkout
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def started(self) -> str:
        """Its URL once it listens. Raises CompatError (after stopping it) when it does not start."""
        if not self._seen.wait(START_TIMEOUT_SECONDS) or not self.url:
            self.stop()
            last = next((line.strip() for line in reversed(self.output) if line.strip()), "no output")
            raise CompatError(f"the sandbox of {self.checkout} did not start: {last}")
        return self.url

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if not self.url and (found := _URL.search(line)):
                self.url = found.group(0)
                self._seen.set()
        self._seen.set()

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL when it lingers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(STOP_TIMEOUT_SECONDS)
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()


def sandbox_env() -> dict[str, str]:
    """The environment for the sandboxes and the smokes: no DOTS_/SANDBOX_ settings but the local credentials."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "SANDBOX_"))}
    env.pop("PYTHONPATH", None)
    return {**env, "DOTS_CLIENT_ID": DEFAULT_CREDENTIALS[0], "DOTS_API_KEY": DEFAULT_CREDENTIALS[1]}


def start_smoke(client: Path, url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the smoke with the `dots_client` in the folder `client` (first on PYTHONPATH) against `url`."""
    return subprocess.Popen(
        [sys.executable, "-m", "tools.compat_smoke", url],
        cwd=ROOT,
        env={**env, "PYTHONPATH": os.pathsep.join([str(client), str(ROOT)])},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def smoke_steps(process: subprocess.Popen[str], client: Path) -> list[Step]:
    """The steps a smoke started by :func:`start_smoke` printed, once it ends.

    Raises CompatError when it did not run (its output is not step lines) or outlives SMOKE_TIMEOUT_SECONDS.
    """
    try:
        out, err = process.communicate(timeout=SMOKE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise CompatError(f"the smoke with {client} did not end in {SMOKE_TIMEOUT_SECONDS:g} s") from None
    try:
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return [Step(row["name"], row["expected"], row["got"]) for row in rows]
    except (ValueError, KeyError, TypeError):
        raise CompatError(f"the smoke with {client} did not run: {err.strip()[-300:]}") from None


@contextlib.contextmanager
def worktree(repo: Path, ref: str) -> Iterator[Path]:
    """A temporary `git worktree` of `ref` (detached), removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="dots-compat-") as tmp:
        folder = Path(tmp) / "base"
        added = run_git(repo, "worktree", "add", "--detach", "--quiet", str(folder), ref)
        if added.returncode != 0:
            raise CompatError(f"cannot check out {ref!r}: {added.stderr.strip()}")
        try:
            yield folder
        finally:
            run_git(repo, "worktree", "remove", "--force", str(folder))


def verdict_bump(repo: Path, ref: str, base_checkout: Path) -> str:
    """The bump the changes call for: the gate's on openapi.yaml, or the Python API diff's when larger."""
    try:
        spec = repo / "openapi.yaml"
        # Read as the gate and `make release` read (integer status codes, one-line refusals).
        changes = compare(
            read_document(spec_at(ref, spec), f"{ref}:openapi.yaml"),
            read_document(spec.read_text("utf-8"), "openapi.yaml"),
        )
        # Reviewed entries set changes aside as `make release` does: a run that fails then contradicts a release
        # that trusted them.
        changes, accepted, _ = apply(changes, load_accepted(repo / ACCEPTED_NAME))
        api = api_diff.diff(
            api_diff.load_from(base_checkout / api_diff.SEARCH_PATH), api_diff.load_from(repo / api_diff.SEARCH_PATH)
        )
    except (GateError, OSError, ValueError, yaml.YAMLError, api_diff.ApiDiffError) as error:
        raise CompatError(str(error)) from None
    return larger_bump(release_bump(changes, len(accepted)), api_diff.bump(api))


def check_compat(repo: Path, base: str | None) -> tuple[list[str], int, str]:
    """Run both directions; the step lines, the exit status and the verdict line. Raises CompatError."""
    try:
        ref = base or default_base(repo)
    except GateError as error:
        raise CompatError(str(error)) from None
    if not is_commit(repo, ref):
        raise CompatError(f"BASE {ref!r} is not a commit in {repo}: pass BASE=<a ref that exists>")
    env = sandbox_env()
    with worktree(repo, ref) as old:
        directions = (
            ("old client -> new sandbox", old / "generated", repo),
            ("new client -> old sandbox", repo / "generated", old),
        )
        # Both sandboxes start, and then both smokes run, side by side; the verdict is read meanwhile.
        sandboxes = [SandboxProcess(server, env) for _, _, server in directions]
        smokes: list[subprocess.Popen[str]] = []
        try:
            bump = verdict_bump(repo, ref, old)
            urls = [sandbox.started() for sandbox in sandboxes]
            smokes += [start_smoke(client, url, env) for (_, client, _), url in zip(directions, urls, strict=True)]
            runs = [
                Run(direction, smoke_steps(process, client))
                for (direction, client, _), process in zip(directions, smokes, strict=True)
            ]
        finally:
            for process in smokes:
                if process.poll() is None:  # a smoke left behind by the other's failure
                    process.kill()
                    process.communicate()
            for sandbox in sandboxes:
                sandbox.stop()
    code, line = judge(runs, bump)
    return lines(runs), code, line


def main(argv: list[str] | None = None) -> int:
    """`python -m tools.compat [--base REF]`: print one line per step and the verdict line; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.compat", description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="git ref to run against (default: origin/main if it exists, else HEAD)")
    args = parser.parse_args(argv)
    try:
        shown, code, line = check_compat(ROOT, args.base or None)
    except CompatError as error:
        print(f"check-compat: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    print("\n".join([*shown, line]))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
