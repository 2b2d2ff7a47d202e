"""What the proxy tells CI: one log line per violation at once, and NDJSON and JUnit files in `--report DIR`.

Secrets never reach any of them: header fields that carry credentials (`Authorization`,
`Proxy-Authorization`, `Cookie`, any name with `key`, `secret` or `token`) are replaced, and so
is every `client_secret` (and any field named like a key or secret) in a JSON body; the
values of those secrets, once seen, are also removed from any other text (a schemathesis
message quoting a body, a body that is not JSON).
"""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, TextIO

from .forwarding import Exchange
from .judging import Violation
from .verdict import REQUEST_INVALID, Record, iso_time, text_headers

logger = logging.getLogger(__package__)  # contract_tests.proxy (dots_contract.proxy installed)
REDACTED = "[redacted]"
NDJSON_NAME = "contract-proxy.ndjson"
JUNIT_NAME = "contract-proxy-junit.xml"
_SECRET_HEADERS = re.compile(r"authorization|cookie|key|secret|token", re.IGNORECASE)
_SECRET_FIELDS = re.compile(r"secret|api_?key|password|token", re.IGNORECASE)
# A JSON string member whose name says it is secret, in text that is not parsed (a message quoting a body).
_SECRET_MEMBER = re.compile(r'("[^"]*(?:secret|api_?key|password|token)[^"]*"\s*:\s*)"[^"]*"', re.IGNORECASE)
_MIN_SECRET = 6
# The kinds of records that were judged; the others (not-judged, webhook-not-judged) were only recorded.
JUDGED_KINDS = ("conforms", "violation", REQUEST_INVALID, "webhook", "webhook-violation")
# The JUnit case of a run that judged nothing: a failure (or skipped, when allowed), never zero tests.
NOTHING_JUDGED_CASE = "judged-exchanges"
TOO_DEEP = "[nested too deeply to write as JSON]"


class Redactor:
    """Removes credentials and client secrets from headers, JSON and text; learns the values it removes."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def learn(self, value: str) -> None:
        """Remember a secret value, so that it is removed from any text later."""
        if len(value) >= _MIN_SECRET:
            with self._lock:
                self._values.add(value)

    def headers(self, headers: list[list[str]]) -> list[list[str]]:
        """`[name, value]` pairs with every credential-bearing value replaced."""
        redacted = []
        for name, value in headers:
            secret = _SECRET_HEADERS.search(name) is not None and name.lower() not in ("svix-id", "webhook-id")
            if secret:
                self._learn_credentials(value)
            redacted.append([name, REDACTED if secret else value])
        return redacted

    def _learn_credentials(self, value: str) -> None:
        scheme, _, token = value.partition(" ")
        self.learn(token.strip() or scheme)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return
            self.learn(decoded.partition(":")[2])

    def json(self, value: Any) -> Any:
        """`value` with every member named like a secret replaced (recursively)."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if _SECRET_FIELDS.search(str(key)) and item is not None:
                    if isinstance(item, str):
                        self.learn(item)
                    out[key] = REDACTED
                else:
                    out[key] = self.json(item)
            return out
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value

    def body(self, text: str) -> Any:
        """A body for the report: parsed and redacted when JSON, else (not JSON, or nested too deeply) redacted text."""
        try:
            return self.json(json.loads(text))
        except (ValueError, RecursionError):
            return self.text(text)

    def text(self, text: str) -> str:
        """`text` with secret JSON members and every secret value seen so far replaced."""
        text = _SECRET_MEMBER.sub(rf'\1"{REDACTED}"', text)
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, REDACTED)
        return text


class Reports:
    """Logs each violation at once; with a directory, streams the NDJSON and writes the JUnit file on `close`."""

    def __init__(
        self,
        directory: Path | None,
        *,
        strict: bool = False,
        allow_nothing_judged: bool = False,
        fail_request_invalid: bool = False,
    ) -> None:
        self.directory = directory
        # A request that breaks the spec fails the run under --strict (refused) or --fail-request-invalid (forwarded).
        self.strict = strict or fail_request_invalid
        self.allow_nothing_judged = allow_nothing_judged
        self.redactor = Redactor()
        self.counts: collections.Counter[str] = collections.Counter()
        # (operation, check) → [passed count, violations]
        self.cases: dict[tuple[str, str], tuple[list[int], list[Violation]]] = {}
        self.invalid_requests: collections.Counter[str] = collections.Counter()
        self._ndjson: TextIO | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._ndjson = (directory / NDJSON_NAME).open("w", encoding="utf-8")

    @property
    def judged(self) -> int:
        """How many exchanges and webhook deliveries were judged (not only recorded)."""
        return sum(self.counts[kind] for kind in JUDGED_KINDS)

    @property
    def nothing_judged(self) -> bool:
        """Whether nothing was judged and that was not allowed (`--allow-nothing-judged`): a failure."""
        return self.judged == 0 and not self.allow_nothing_judged

    @property
    def failed(self) -> bool:
        """Whether the run saw a violation (or, under `--strict`, a request that breaks the spec), or judged nothing."""
        return (
            bool(self.counts["violation"] or self.counts["webhook-violation"])
            or (self.strict and bool(self.counts[REQUEST_INVALID]))
            or self.nothing_judged
        )

    def add(self, record: Record) -> None:
        """Report one exchange: log its violations and request problems, append its NDJSON line."""
        line = record.as_json()
        line["request"]["headers"] = self.redactor.headers(line["request"]["headers"])
        line["response"]["headers"] = self.redactor.headers(line["response"]["headers"])
        line["request"]["body"] = self.redactor.body(line["request"]["body"])
        line["response"]["body"] = self.redactor.body(line["response"]["body"])
        operation = record.operation or f"{record.exchange.method} {record.exchange.path}"
        if record.request_problems:
            self.invalid_requests[operation] += 1
            log = logger.error if self.strict else logger.warning
            log(
                "%s %s intent=%s: %s%s",
                REQUEST_INVALID,
                operation,
                record.intent_id or "-",
                self.redactor.text("; ".join(record.request_problems)),
                sent_by(record.exchange.test),
            )
        for check, violations in record.checks.items():
            self.add_check(operation, check, violations, test=record.exchange.test)
        self.write(line)
        # Counted last: judging runs on its own thread, and whoever sees the count (a test waiting for
        # the verdict, the exit summary) must find the exchange's every check already recorded.
        self.counts[record.kind] += 1

    def add_delivery(
        self,
        exchange: Exchange,
        event: str | None,
        checks: dict[str, list[Violation]],
        *,
        not_judged: str | None = None,
    ) -> None:
        """Report one webhook delivery: log its violations (or why it was not judged), append its NDJSON line."""
        violations = [violation for found in checks.values() for violation in found]
        kind = "webhook-violation" if violations else "webhook" if not_judged is None else "webhook-not-judged"
        if not_judged is not None:
            logger.error("NOT JUDGED webhook %s: %s", exchange.target, self.redactor.text(not_judged))
        for check, found in checks.items():
            self.add_check(event or "webhook", check, found)
        body = self.redactor.body(exchange.request_body.decode("utf-8", errors="replace"))
        self.write(
            {
                "time": iso_time(exchange.started),
                "kind": kind,
                "event": event,
                "intent_id": (body.get("payment_intent_id") if isinstance(body, dict) else None),
                "outcome": exchange.outcome,
                "not_judged": not_judged,
                "receiver_status": exchange.status or None,
                "checks": {name: "failed" if found else "passed" for name, found in checks.items()},
                "violations": [dataclasses.asdict(violation) for violation in violations],
                "request": {
                    "method": exchange.method,
                    "target": exchange.target,
                    "headers": self.redactor.headers(text_headers(exchange.request_headers)),
                    "body": body,
                },
            }
        )
        self.counts[kind] += 1  # counted last, as in `add`

    def add_check(self, operation: str, check: str, violations: list[Violation], *, test: str = "") -> None:
        """Count one run of a check and log its violations, one line each (naming the test that sent it, if known)."""
        passed, failures = self.cases.setdefault((operation, check), ([0], []))
        if not violations:
            passed[0] += 1
        for violation in violations:
            failures.append(violation)
            logger.error("%s", self.redactor.text(violation_line(violation) + sent_by(test)))

    def write(self, line: dict[str, Any]) -> None:
        """Append one redacted line to the NDJSON report (if any); a body too deep to write is replaced by a note."""
        if self._ndjson is None:
            return
        try:
            text = json.dumps(line, ensure_ascii=False)
        except RecursionError:
            for side in ("request", "response"):
                if isinstance(line.get(side), dict):
                    line[side] = {**line[side], "body": TOO_DEEP}
            text = json.dumps(line, ensure_ascii=False)
        self._ndjson.write(self.redactor.text(text) + "\n")
        self._ndjson.flush()

    def close(self) -> None:
        """Close the NDJSON file and write the JUnit file (no-op without a directory)."""
        if self._ndjson is not None:
            self._ndjson.close()
            self._ndjson = None
        if self.directory is not None:
            self.junit().write(self.directory / JUNIT_NAME, encoding="utf-8", xml_declaration=True)

    def junit(self) -> ET.ElementTree[ET.Element]:
        """One test case per check per operation; each violation a failure line; request problems per operation."""
        suite = ET.Element("testsuite", name="contract-proxy")
        failures = 0
        cases = dict(self.cases)
        for operation in self.invalid_requests:
            cases.setdefault((operation, "request_conformance"), ([0], []))
        for (operation, check), (passed, violations) in sorted(cases.items()):
            case = ET.SubElement(suite, "testcase", classname=operation, name=check)
            invalid = self.invalid_requests[operation] if check == "request_conformance" else 0
            if violations or (invalid and self.strict):
                failures += 1
                text = "\n".join(self.redactor.text(violation_line(v)) for v in violations)
                if invalid:
                    text += f"\n{invalid} request(s) broke the spec"
                failure = ET.SubElement(
                    case, "failure", message=f"{len(violations) or invalid} violation(s), {passed[0]} passed"
                )
                failure.text = text.strip()
            elif invalid:
                ET.SubElement(
                    case, "system-out"
                ).text = f"{invalid} request(s) broke the spec (the caller's; --strict fails them)"
        if self.judged == 0:  # never a report that counts zero tests as a pass
            case = ET.SubElement(suite, "testcase", classname="contract-proxy", name=NOTHING_JUDGED_CASE)
            if self.allow_nothing_judged:
                ET.SubElement(case, "skipped", message="nothing was judged (allowed: --allow-nothing-judged)")
            else:
                failures += 1
                ET.SubElement(case, "failure", message=self.nothing_judged_line())
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(failures))
        return ET.ElementTree(suite)

    def summary(self) -> str:
        """One line: how many exchanges of each kind."""
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.counts.items()))
        return f"contract proxy: {sum(self.counts.values())} exchanges ({kinds or 'none'})"

    def nothing_judged_line(self) -> str:
        """The one line that says why a run that judged nothing fails."""
        seen = sum(self.counts.values())
        return (
            f"contract proxy: FAILED: nothing was judged ({seen} exchanges recorded, none judged): "
            "is the code under test sending its requests to the proxy's URL? (--allow-nothing-judged allows this)"
        )


def sent_by(test: str) -> str:
    """` [test NAME]`, naming the test an exchange came from (`--tests-on-stdin`), or nothing."""
    return f" [test {test}]" if test else ""


def violation_line(violation: Violation) -> str:
    """`VIOLATION operation intent=ID check: expected ..., found ...` on one line."""
    found = " ".join(violation.found.split())
    return (
        f"VIOLATION {violation.operation} intent={violation.intent_id or '-'} {violation.check}: "
        f"expected {violation.expected}, found {found}"
    )
