"""Reports: secrets redacted, reproduction commands found and runnable, a short summary."""

from __future__ import annotations

import json

import httpx

from contract_tests.reporting import Failure, Redactor, Summary, curl_command, failure_from_text, reproduction_commands

SCHEMATHESIS_FAILURE = """\
+ Exception Group Traceback (most recent call last):
  |   File "contract_tests/test_server_contract.py", line 24, in test_operation_conforms
  | schemathesis.core.failures.FailureGroup: Schemathesis found 1 distinct failure
  |
  | - ST108 Response violates schema
  |
  |     'amount' is not of type 'integer'
  |
  | [200] OK:
  |
  |     `{"id": "...", "amount": "1"}`
  |
  | Reproduce with:
  |
  |     curl -X POST -H 'Authorization: [Filtered]' -H 'Content-Type: application/json' -d '{"amount": 1}' http://h/api/v2/payment-intents
  |
  |     ⚠️  a warning that is not a command
"""

PYTEST_FAILURE = """\
E       AssertionError: create changed the amount
E
E         Reproduce with:
E
E             curl -X POST --data-binary '{}' -u "$DOTS_CLIENT_ID:$DOTS_API_KEY" http://h/api/v2/payment-intents
E             curl -X GET -u "$DOTS_CLIENT_ID:$DOTS_API_KEY" http://h/api/v2/payment-intents/x
E       assert '1' == 1
"""


def test_redactor_hides_authorization_values_and_secrets() -> None:
    """Authorization values however spelt, and registered secrets, become [redacted]."""
    redact = Redactor(["s3cret-key", ""])
    text = "\n".join(
        [
            "-H 'Authorization: Basic Y2xpZW50OnMzY3JldC1rZXk='",
            "{'authorization': 'Basic abc'}",
            '{"Authorization": "Bearer abc"}',
            "Authorization: Basic abc",
            "the key is s3cret-key",
        ]
    )
    redacted = redact(text)
    for leaked in ("Y2xpZW50", "abc", "s3cret-key"):
        assert leaked not in redacted
    assert redacted.count("[redacted]") == 5
    assert redact("nothing to hide") == "nothing to hide"


def test_curl_command_takes_credentials_from_the_environment() -> None:
    """The command repeats method, URL, content type and body, with -u from DOTS_CLIENT_ID / DOTS_API_KEY."""
    request = httpx.Request(
        "POST", "http://h/api/v2/payment-intents", json={"amount": 1, "note": "it's"}, headers={"Authorization": "x"}
    )
    command = curl_command(request)
    assert command.startswith("curl -X POST -H 'Content-Type: application/json' --data-binary ")
    assert '-u "$DOTS_CLIENT_ID:$DOTS_API_KEY"' in command
    assert command.endswith(" http://h/api/v2/payment-intents")
    assert "Authorization" not in command
    assert json.dumps({"amount": 1, "note": "it's"}, separators=(",", ":")) not in command  # quoted for the shell
    assert curl_command(httpx.Request("GET", "http://h/x")) == "curl -X GET http://h/x"


def test_reproduction_commands_are_found_under_any_margin() -> None:
    """Commands after "Reproduce with:" are found in exception groups and pytest's E lines, warnings left out."""
    assert reproduction_commands(SCHEMATHESIS_FAILURE) == [
        "curl -X POST -u \"$DOTS_CLIENT_ID:$DOTS_API_KEY\" -H 'Content-Type: application/json' "
        "-d '{\"amount\": 1}' http://h/api/v2/payment-intents"
    ]
    assert reproduction_commands(PYTEST_FAILURE) == [
        "curl -X POST --data-binary '{}' -u \"$DOTS_CLIENT_ID:$DOTS_API_KEY\" http://h/api/v2/payment-intents",
        'curl -X GET -u "$DOTS_CLIENT_ID:$DOTS_API_KEY" http://h/api/v2/payment-intents/x',
    ]
    assert reproduction_commands("no commands here") == []


def test_failure_message_prefers_schemathesis_check_titles() -> None:
    """A schemathesis failure is summarised by its checks; any other by its crash message."""
    assert failure_from_text("t", "+ Exception Group", SCHEMATHESIS_FAILURE).message == "ST108 Response violates schema"
    failure = failure_from_text("t", "AssertionError: create changed the amount\nmore", PYTEST_FAILURE)
    assert failure.message == "AssertionError: create changed the amount"
    assert len(failure.commands) == 2


def test_summary_lists_counts_failures_and_at_most_three_commands() -> None:
    """The summary shows cases per operation, each failure and its first three commands."""
    summary = Summary()
    summary.count_case("GET /x")
    summary.count_case("GET /x")
    summary.failures.append(Failure("mod.py::test_a", "boom", [f"curl {n}" for n in range(5)]))
    lines = summary.lines()
    assert lines[0] == "schemathesis cases per operation: GET /x 2"
    assert lines[1:3] == ["FAILED mod.py::test_a", "    boom"]
    assert [line for line in lines if "reproduce:" in line] == [f"    reproduce: curl {n}" for n in range(3)]
    assert lines[-1] == "    ... 2 more requests in the full report"


def test_redactor_hides_client_secrets() -> None:
    """A payment intent's client_secret is redacted in JSON, mapping, attrs-repr and XML-escaped spellings."""
    redact = Redactor()
    texts = [
        '{"id":"x","client_secret":"pi_secret_abc123","amount":1}',
        "{'client_secret': 'pi_secret_abc123'}",
        "PaymentIntent(id=UUID('x'), client_secret='pi_secret_abc123', amount=1)",
        '"client_secret" : "pi_secret_abc123"',
        "{&quot;client_secret&quot;: &quot;pi_secret_abc123&quot;}",
    ]
    for text in texts:
        redacted = redact(text)
        assert "pi_secret_abc123" not in redacted, text
        assert "client_secret" in redacted
    assert redact('{"amount":1}') == '{"amount":1}'
