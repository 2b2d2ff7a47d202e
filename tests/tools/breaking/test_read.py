"""tools/breaking/read.py: what the gate reads (OpenAPI 3.0 and 3.1 in one file) and what it refuses."""

from __future__ import annotations

import pytest

from tools.breaking.compare import compare
from tools.breaking.read import Refused, read_document

SPEC_30 = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /t:
    get:
      responses:
        %s:
          description: ok
          content:
            application/json:
              schema: {type: string}
"""


def test_unquoted_status_codes_read_as_the_strings_they_are() -> None:
    """`200:` (an int to YAML) and `"200":` are the same response: no change, no crash."""
    unquoted, quoted = read_document(SPEC_30 % "200", "a.yaml"), read_document(SPEC_30 % '"200"', "b.yaml")
    assert list(unquoted["paths"]["/t"]["get"]["responses"]) == ["200"]
    assert compare(unquoted, quoted) == []


def test_a_status_code_key_inside_an_example_is_left_alone() -> None:
    """Only `responses` keys are normalised; an example that happens to be keyed `200` stays as written."""
    text = (SPEC_30 % "200").replace(
        "schema: {type: string}", "schema: {type: object}\n              example: {200: x}"
    )
    document = read_document(text, "a.yaml")
    assert document["paths"]["/t"]["get"]["responses"]["200"]["content"]["application/json"]["example"] == {200: "x"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n', "a Swagger 2.0 document"),
        ("openapi: 3.2.0\ninfo: {title: t, version: '1'}\n", "OpenAPI 3.2.0"),
        ("info: {title: t}\n", "no `openapi` version field"),
        ("- a list\n", "not an OpenAPI document"),
        ("a: [unclosed\n", "not YAML or JSON (line 2)"),
        (
            "openapi: 3.1.0\npaths:\n  /t:\n    get:\n      responses:\n        '200': {$ref: 'other.yaml#/R'}\n",
            "$ref 'other.yaml#/R' at #/paths/~1t/get/responses/200 points outside the document",
        ),
        (
            "openapi: 3.1.0\ncomponents:\n  schemas:\n    A: {$ref: 'https://example.invalid/s.json'}\n",
            "points outside the document",
        ),
        (
            "openapi: 3.1.0\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n",
            "dangling $ref '#/components/schemas/B' at #/components/schemas/A",
        ),
    ],
)
def test_what_cannot_be_compared_is_refused_in_one_line(text: str, says: str) -> None:
    """Each refusal names what it found and what the gate reads, on one line."""
    with pytest.raises(Refused) as refused:
        read_document(text, "x.yaml")
    message = str(refused.value)
    assert says in message
    assert message.startswith("x.yaml: ")
    assert message.endswith("the gate reads OpenAPI 3.0 and 3.1 documents in one file") or "Swagger" in message
    assert "\n" not in message


def test_a_property_named_like_a_keyword_is_read_as_a_property() -> None:
    """A property called `default` or `$ref` is a name, not data or a reference."""
    text = (
        "openapi: 3.1.0\ncomponents:\n  schemas:\n    A:\n      properties:\n        $ref: {type: string}\n"
        "        default: {$ref: '#/components/schemas/B'}\n    B: {type: string}\n"
    )
    assert read_document(text, "x.yaml")["components"]["schemas"]["A"]["properties"]["$ref"] == {"type": "string"}
