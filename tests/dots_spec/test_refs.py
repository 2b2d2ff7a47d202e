"""dots_spec/refs.py: local `$ref`s and JSON pointers."""

from __future__ import annotations

from typing import Any

import pytest

from dots_spec.document import load_spec
from dots_spec.refs import RefError, escape, follow, follow_schema, resolve, siblings_apply, unescape

SPEC: dict[str, Any] = {
    "components": {
        "schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string", "description": "b"}},
        "paths~/odd": {"x": 1},
    }
}


def test_follow_goes_through_every_hop_and_says_where() -> None:
    """A chain of refs resolves to the last target, with that target's pointer."""
    assert follow({"$ref": "#/components/schemas/A"}, SPEC, "#/here") == (
        {"type": "string", "description": "b"},
        "#/components/schemas/B",
    )


def test_siblings_override_and_keep_the_pointer() -> None:
    """3.1 sibling keys next to $ref win over the target's, and the merged node stays where it was."""
    node, pointer = follow({"$ref": "#/components/schemas/B", "description": "mine"}, SPEC, "#/here")
    assert node == {"type": "string", "description": "mine"}
    assert pointer == "#/here"


def test_plain_node_comes_back_unchanged() -> None:
    """A node without $ref is returned as it is, with the pointer given."""
    node = {"type": "integer"}
    assert follow(node, SPEC, "#/p") == (node, "#/p")


def test_escaped_tokens_resolve() -> None:
    """`~0` and `~1` in a ref mean `~` and `/` (RFC 6901)."""
    assert resolve({"$ref": "#/components/paths~0~1odd"}, SPEC) == {"x": 1}
    assert escape("paths~/odd") == "paths~0~1odd"
    assert unescape(escape("a/b~c")) == "a/b~c"


def test_percent_encoded_refs_resolve() -> None:
    """A `$ref` is a URI reference, so its fragment may be percent-encoded (RFC 6901 section 6): `{id}` in a
    path's key is written `%7Bid%7D`; the pointer is read after decoding, as it is written when there is none."""
    spec = {"paths": {"/u/{id}": {"get": {"parameters": [{"name": "id", "in": "path"}]}}}}
    expected = {"name": "id", "in": "path"}
    assert resolve({"$ref": "#/paths/~1u~1%7Bid%7D/get/parameters/0"}, spec) == expected
    assert resolve({"$ref": "#/paths/~1u~1{id}/get/parameters/0"}, spec) == expected


@pytest.mark.parametrize("ref", ["other.yaml#/Thing", "https://example.invalid/s.json", 7])
def test_non_local_refs_are_refused(ref: object) -> None:
    """Only `#/...` refs are followed; anything else raises ValueError naming it."""
    with pytest.raises(ValueError, match="only local, acyclic refs are supported"):
        follow({"$ref": ref}, SPEC, "#/at")


def test_a_ref_loop_is_refused() -> None:
    """A ref chain that comes back to itself raises instead of looping forever."""
    loop = {
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}
    }
    with pytest.raises(ValueError, match="acyclic"):
        resolve({"$ref": "#/components/schemas/A"}, loop)


def test_every_ref_in_the_spec_resolves() -> None:
    """Each $ref written in openapi.yaml names an object of the spec."""
    spec = load_spec()
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert found
    assert all(isinstance(resolve(node, spec), dict) and "$ref" not in resolve(node, spec) for node in found)


CENTS: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 100000}


def _with_cents(version: str) -> dict[str, Any]:
    return {"openapi": version, "components": {"schemas": {"Cents": CENTS}}}


def test_schema_siblings_apply_together_with_the_target_in_3_1() -> None:
    """In 3.1 `{$ref, maximum}` is both schemas at once (an allOf), kept at the referring node's pointer."""
    node = {"$ref": "#/components/schemas/Cents", "maximum": 99999999}
    assert follow_schema(node, _with_cents("3.1.0"), "#/amount") == (
        {"allOf": [CENTS, {"maximum": 99999999}]},
        "#/amount",
    )


def test_schema_siblings_are_ignored_in_3_0() -> None:
    """OpenAPI 3.0 says keywords beside `$ref` are ignored: the target alone, at its own pointer."""
    node = {"$ref": "#/components/schemas/Cents", "maximum": 5}
    assert follow_schema(node, _with_cents("3.0.3"), "#/amount") == (CENTS, "#/components/schemas/Cents")
    assert not siblings_apply({"openapi": "3.0.3"})
    assert siblings_apply({"openapi": "3.1.0"})


def test_a_schema_ref_alone_is_its_target() -> None:
    """Without siblings, follow_schema is follow: the target and where it is."""
    node = {"$ref": "#/components/schemas/Cents"}
    assert follow_schema(node, _with_cents("3.1.0"), "#/x") == (CENTS, "#/components/schemas/Cents")


@pytest.mark.parametrize("reader", [follow, follow_schema])
def test_a_dangling_ref_raises_ref_error_naming_it(reader: Any) -> None:
    """A local ref that names nothing raises RefError (a ValueError), not KeyError."""
    with pytest.raises(RefError, match="dangling \\$ref '#/components/schemas/Nope' at #/x"):
        reader({"$ref": "#/components/schemas/Nope"}, SPEC, "#/x")


def test_follow_applies_constraining_siblings_together_in_3_1() -> None:
    """Every reader of the spec sees `{$ref: Cents, maximum: 99999999}` as both schemas, not Cents overridden."""
    node = {"$ref": "#/components/schemas/Cents", "maximum": 99999999, "description": "amount"}
    assert follow(node, _with_cents("3.1.0"), "#/amount") == (
        {"allOf": [CENTS, {"maximum": 99999999, "description": "amount"}]},
        "#/amount",
    )


def test_follow_ignores_constraining_siblings_in_3_0_but_keeps_annotations() -> None:
    """3.0 ignores keywords beside $ref; a description there still reads as the node's own."""
    node = {"$ref": "#/components/schemas/Cents", "maximum": 5, "description": "amount"}
    assert follow(node, _with_cents("3.0.3"), "#/amount") == ({**CENTS, "description": "amount"}, "#/amount")


def test_siblings_beside_a_ref_to_a_parameter_override() -> None:
    """A `$ref` to a parameter is not a schema: a sibling `required` overrides the target's, as before."""
    spec = {"openapi": "3.1.0", "components": {"parameters": {"p": {"in": "query", "name": "p"}}}}
    node, pointer = follow({"$ref": "#/components/parameters/p", "required": True}, spec, "#/x")
    assert node == {"in": "query", "name": "p", "required": True}
    assert pointer == "#/x"
