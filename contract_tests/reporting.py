"""What the suite tells a person: the closing summary, reproduction commands, and no secrets.

`Redactor` removes credentials from every report (terminal and JUnit XML) before pytest writes
it; `curl_command` turns a request the suite sent into a command that reproduces it, taking the
credentials from the environment rather than printing them; `Summary` collects the failures
and prints what failed and how to reproduce it at the end of the run.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import shlex
from collections.abc import Iterable

import httpx

REDACTED = "[redacted]"
# An Authorization header however it is spelt: a curl -H, a Python or JSON mapping, a raw header line.
_AUTHORIZATION = re.compile(r"""(?i)(\bauthorization['"]?\s*[:=]\s*['"]?)[^'"\n,}]+""")
# A payment intent's client_secret (openapi.yaml: shown once, by create; "keep it from logs") in
# JSON, a Python mapping, an attrs repr (`client_secret='pi_secret_...'`) or XML-escaped JSON (JUnit).
_QUOTE = r"""(?:['"]|&quot;|&#34;|&apos;|&#39;)"""
_CLIENT_SECRET = re.compile(rf"""(\bclient_secret{_QUOTE}?\s*[:=]\s*{_QUOTE}?)[^'"\s,}})<&]+""")
_REPRODUCE = "Reproduce with:"
_MARGIN = re.compile(r"^(?:E(?: |$)|\s*[|+](?: |$))")
# How schemathesis writes the credentials it filtered out of a curl command.
_FILTERED_AUTH = re.compile(r"""-H '(?i:authorization): [^']*'""")
CREDENTIALS_OPTION = '-u "$DOTS_CLIENT_ID:$DOTS_API_KEY"'


class Redactor:
    """Replaces Authorization header values, client secrets and every registered secret with `[redacted]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Register strings that must never be shown (empty strings are ignored)."""
        self._secrets.update(secret for secret in secrets if secret)

    def __call__(self, text: str) -> str:
        text = _AUTHORIZATION.sub(lambda match: match.group(1) + REDACTED, text)
        text = _CLIENT_SECRET.sub(lambda match: match.group(1) + REDACTED, text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


def curl_command(request: httpx.Request) -> str:
    """A curl command that sends `request` again, with credentials from DOTS_CLIENT_ID / DOTS_API_KEY."""
    parts = ["curl", "-X", request.method]
    if "content-type" in request.headers:
        parts += ["-H", f"Content-Type: {request.headers['content-type']}"]
    if request.content:
        parts += ["--data-binary", request.content.decode("utf-8", "backslashreplace")]
    credentials = f" {CREDENTIALS_OPTION}" if "authorization" in request.headers else ""
    return f"{shlex.join(parts)}{credentials} {shlex.quote(str(request.url))}"


def _unwrapped(text: str) -> list[str]:
    """A report's lines without pytest's `E ` and exception groups' `| ` / `+ ` margins."""
    return [_MARGIN.sub("", line) for line in text.splitlines()]


def reproduction_commands(text: str) -> list[str]:
    """The commands after each "Reproduce with:" in a failure's text (schemathesis' and this suite's)."""
    commands: list[str] = []
    lines = _unwrapped(text)
    for index, line in enumerate(lines):
        if line.strip() != _REPRODUCE:
            continue
        block: list[str] = []
        margin = len(line) - len(line.lstrip())
        for following in lines[index + 1 :]:
            indent = len(following) - len(following.lstrip())
            if not following.strip():
                if block:
                    break
                continue
            if indent <= margin:
                break  # back to the text around the block
            if following.strip().startswith("curl ") or not block:
                block.append(following.strip())
            else:  # a command wrapped over several lines
                block[-1] += " " + following.strip()
        commands += [_FILTERED_AUTH.sub(CREDENTIALS_OPTION, command) for command in block]
    return commands


@dataclasses.dataclass(slots=True)
class Failure:
    """One failed test, as the summary shows it."""

    nodeid: str
    message: str
    commands: list[str]


def failure_from_text(nodeid: str, crash_message: str, text: str) -> Failure:
    """A Failure from a report's crash message and full text (both already redacted)."""
    titles = [
        line.strip().removeprefix("- ") for line in _unwrapped(text) if re.match(r"^\s*- \S", line) and len(line) < 200
    ]
    lines = [line.strip() for line in crash_message.splitlines() if line.strip()]
    message = "; ".join(dict.fromkeys(titles[:5])) if titles else (lines[0] if lines else "failed")
    return Failure(nodeid=nodeid, message=message, commands=reproduction_commands(text))


@dataclasses.dataclass
class Summary:
    """Counts and failures of one run, printed at its end."""

    cases: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    failures: list[Failure] = dataclasses.field(default_factory=list)

    def count_case(self, label: str) -> None:
        """One more request sent for `label` (an operation, or the stateful steps)."""
        self.cases[label] += 1

    def lines(self, *, max_commands: int = 3) -> list[str]:
        """The summary, one line each."""
        out: list[str] = []
        if self.cases:
            out.append(
                "schemathesis cases per operation: "
                + ", ".join(f"{label} {n}" for label, n in sorted(self.cases.items()))
            )
        for failure in self.failures:
            out.append(f"FAILED {failure.nodeid}")
            out.append(f"    {failure.message}")
            for command in failure.commands[:max_commands]:
                out.append(f"    reproduce: {command}")
            if len(failure.commands) > max_commands:
                out.append(f"    ... {len(failure.commands) - max_commands} more requests in the full report")
        return out
