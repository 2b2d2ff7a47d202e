"""tools/breaking/walk.py: the comparison's shared state, `$ref` pairing and the direction rule."""

from __future__ import annotations

import pytest

from tests.tools.breaking.catalogue import doc
from tools.breaking.compare import compare
from tools.breaking.model import Severity
from tools.breaking.walk import Comparison, Here


def test_non_local_ref_is_reported_not_followed() -> None:
    """A $ref outside the document stops the comparison with a message (exit 2 from main)."""
    external = doc({"$ref": "other.yaml#/Thing"}, request=True)
    with pytest.raises(ValueError, match="only local"):
        compare(external, external)


def test_pair_moves_here_to_the_referenced_component() -> None:
    """Both sides' $refs are followed and the pointers name where the schemas really are."""
    spec = {"components": {"schemas": {"A": {"type": "string"}}}}
    run = Comparison(spec, spec)
    old, new, here = run.pair({"$ref": "#/components/schemas/A"}, {"type": "string"}, Here("#/x", "#/y", "f", True))
    assert old == new == {"type": "string"}
    assert (here.old_ptr, here.new_ptr) == ("#/components/schemas/A", "#/y")


@pytest.mark.parametrize(
    ("request_side", "stricter", "rule", "severity"),
    [
        (True, True, "request-size-narrowed", Severity.BREAKING),
        (True, False, "request-size-widened", Severity.NON_BREAKING),
        (False, True, "response-size-narrowed", Severity.NON_BREAKING),
        (False, False, "response-size-widened", Severity.BREAKING),
    ],
)
def test_direction_decides_the_class(request_side: bool, stricter: bool, rule: str, severity: Severity) -> None:
    """Requests may only widen and responses may only narrow."""
    run = Comparison({}, {})
    run.narrow_or_widen(stricter, Here("#/a", "#/a", "f", request_side), "size", "maxLength 2 -> 1")
    (change,) = run.changes
    assert (change.rule, change.severity) == (rule, severity)


def test_step_escapes_json_pointer_tokens() -> None:
    """A path key with `/` and `~` is escaped per RFC 6901 in both pointers."""
    here = Here("#/paths", "#/paths", "", request=True).step("/v2/a~b")
    assert here.old_ptr == here.new_ptr == "#/paths/~1v2~1a~0b"
