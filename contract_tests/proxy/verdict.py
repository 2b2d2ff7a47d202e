"""Each exchange's verdict: the request judged before forwarding, the answer and the lifecycle after.

`Judge.gate` runs before a request is forwarded (it decides `request-invalid`, refuses such a
request under `--strict`, and notes a confirm in flight for the webhook rule); `Judge.verdict`
runs once the answer was delivered and returns the `Record` the reports are made of.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from ..lifecycle_rules import Problem
from . import history, judging
from .forwarding import Exchange, Refusal
from .judging import RequestJudgement, Violation

# The rule for a request that breaks the spec: its answer must be one of the operation's documented 4xx.
INVALID_REQUEST_REFUSED = "invalid-request-refused"
REQUEST_INVALID = "request-invalid"


@dataclasses.dataclass
class Record:
    """One exchange as the reports show it (secrets are redacted when it is written, not here)."""

    exchange: Exchange
    operation: str | None
    intent_id: str | None
    caller: str | None
    not_judged: str | None = None
    request_problems: list[str] = dataclasses.field(default_factory=list)
    checks: dict[str, list[Violation]] = dataclasses.field(default_factory=dict)
    """Every check and rule that ran: name → its violations (empty: passed)."""

    @property
    def violations(self) -> list[Violation]:
        """The upstream's violations (a request-invalid request is the caller's, and not among them)."""
        return [violation for found in self.checks.values() for violation in found]

    @property
    def kind(self) -> str:
        """`violation`, `request-invalid`, `not-judged` or `conforms` (the first that applies)."""
        if self.violations:
            return "violation"
        if self.request_problems:
            return REQUEST_INVALID  # even when not judged further: refused by --strict, or no answer came
        return "not-judged" if self.not_judged is not None else "conforms"

    def as_json(self) -> dict[str, Any]:
        """The record as the NDJSON report's line (before redaction)."""
        exchange = self.exchange
        return {
            "time": iso_time(exchange.started),
            "method": exchange.method,
            "target": exchange.target,
            "operation": self.operation,
            "intent_id": self.intent_id,
            "client_id": self.caller,
            "test": exchange.test or None,
            "outcome": exchange.outcome,
            "status": exchange.status or None,
            "elapsed_ms": round(exchange.elapsed * 1000, 3),
            "kind": self.kind,
            "not_judged": self.not_judged,
            "request_problems": self.request_problems,
            "checks": {name: "failed" if found else "passed" for name, found in self.checks.items()},
            "violations": [dataclasses.asdict(violation) for violation in self.violations],
            "request": {"headers": text_headers(exchange.request_headers), "body": _body(exchange.request_body)},
            "response": {"headers": text_headers(exchange.response_headers), "body": _body(exchange.response_body)},
        }


def iso_time(seconds: float) -> str:
    """An epoch time in seconds as ISO 8601 UTC, to the millisecond."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds")


def text_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    """Header fields as `[name, value]` text pairs (Latin-1, as HTTP/1.1 allows)."""
    return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers]


def _body(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


class Judge:
    """Judges the exchanges of one run against the spec; `base_path` is the upstream URL's path (`/api`)."""

    def __init__(self, base_path: str, *, strict: bool = False) -> None:
        self.base_path = base_path.rstrip("/")
        self.strict = strict
        self.history = history.History()
        self._requests: dict[int, RequestJudgement] = {}

    def warm_up(self) -> None:
        """Load and compile everything judging needs, so the first exchange pays nothing extra."""
        judging.warm_up()

    def gate(self, exchange: Exchange) -> Refusal | None:
        """Judge the request before it is forwarded; under `strict`, refuse one that breaks the spec."""
        request = judging.judge_request(exchange, self.base_path)
        self._requests[id(exchange)] = request
        if request.problems and self.strict:
            return Refusal(
                400,
                {
                    "error": "the proxy refused a request that breaks openapi.yaml: " + "; ".join(request.problems),
                    "code": REQUEST_INVALID,
                    "details": [{"location": "request", "message": problem} for problem in request.problems],
                },
                "; ".join(request.problems),
            )
        if request.operation is not None and request.operation.operation_id == history.CONFIRM:
            self.history.confirm_sent(request.path_parameters.get("payment_intent_id", ""))
        return None

    def verdict(self, exchange: Exchange) -> Record:
        """The record of an exchange that is over (its request went through `gate` first)."""
        request = self._requests.pop(id(exchange), None) or judging.judge_request(exchange, self.base_path)
        caller = judging.caller(exchange)
        intent_id = request.path_parameters.get("payment_intent_id")
        record = Record(exchange, request.label or None, intent_id, caller, request_problems=request.problems)
        if request.not_judged is not None:
            record.not_judged = request.not_judged
        elif exchange.outcome != "answered":
            record.not_judged = f"no answer from the upstream ({exchange.outcome})"
        elif (fault := judging.not_judged_answer(exchange)) is not None:
            record.not_judged = fault
        elif request.operation is None:
            record.checks[INVALID_REQUEST_REFUSED] = _refused(exchange, request, None)
        else:
            self._judge(record, request)
        return record

    def _judge(self, record: Record, request: RequestJudgement) -> None:
        exchange = record.exchange
        operation = request.label
        body = judging.decoded_body(exchange) or b""
        if exchange.status == 200 and operation == history.CREATE:
            record.intent_id = _created_id(body)
        record.checks.update(judging.judge_answer(exchange, request, intent_id=record.intent_id))
        if request.problems:
            record.checks[INVALID_REQUEST_REFUSED] = _refused(exchange, request, record.intent_id)
            return  # the server refused it (or should have): nothing happened to any intent
        rules = self.history.observe(
            operation,
            path_id=record.intent_id if operation != history.CREATE else None,
            sent=request.body,
            status=exchange.status,
            body=body,
            caller=record.caller,
            started=exchange.start_mark,
            ended=exchange.end_mark,
        )
        for name, problems in rules.items():
            record.checks[name] = [_violation(name, operation, record.intent_id, problem) for problem in problems]


def _refused(exchange: Exchange, request: RequestJudgement, intent_id: str | None) -> list[Violation]:
    """A request that breaks the spec must be answered with a documented 4xx."""
    documented = (
        sorted(status for status in request.operation.responses if 400 <= status < 500) if request.operation else []
    )
    if 400 <= exchange.status < 500 and (not documented or exchange.status in documented):
        return []
    expected = "a documented 4xx (" + (", ".join(map(str, documented)) or "any 4xx") + ")"
    found = f"{exchange.status} to a request that breaks the spec: " + "; ".join(request.problems)
    return [Violation(INVALID_REQUEST_REFUSED, request.label or exchange.method, intent_id, expected, found)]


def _violation(check: str, operation: str, intent_id: str | None, problem: Problem) -> Violation:
    return Violation(check, operation, intent_id, problem.expected, problem.found)


def _created_id(body: bytes) -> str | None:
    data = history.json_body(body)
    return history.canonical_id(data.get("id")) if isinstance(data, dict) else None
