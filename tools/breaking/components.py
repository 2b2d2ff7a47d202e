"""Components seen on their own: security scheme documentation, and schemas added or removed.

Everything else in `components` is compared where operations use it (a `$ref` is followed, so a change to
`#/components/schemas/X` is reported once, with every operation and field it reaches).
"""

from __future__ import annotations

from dots_spec.refs import escape
from tools.breaking.model import BREAKING, NON, POSSIBLY
from tools.breaking.security import identity
from tools.breaking.walk import Comparison, Here, mapping


def compare_components(run: Comparison) -> None:
    """Report security-scheme documentation changes and component schemas added or removed."""
    old_schemes = (run.old.get("components") or {}).get("securitySchemes") or {}
    new_schemes = (run.new.get("components") or {}).get("securitySchemes") or {}
    for name in sorted(old_schemes.keys() & new_schemes.keys()):
        ptr = f"#/components/securitySchemes/{escape(name)}"
        here = Here(ptr, ptr, f"components.securitySchemes.{name}", True)
        old_scheme, new_scheme, here = run.pair(old_schemes[name], new_schemes[name], here)
        run.docs(old_scheme, new_scheme, here)
        if identity(old_scheme) == identity(new_scheme) and old_scheme.get("flows") != new_scheme.get("flows"):
            compare_flows(run, mapping(old_scheme.get("flows")), mapping(new_scheme.get("flows")), here.step("flows"))
    old_schemas = (run.old.get("components") or {}).get("schemas") or {}
    new_schemas = (run.new.get("components") or {}).get("schemas") or {}
    for name in sorted(set(old_schemas) - set(new_schemas)):
        ptr = f"#/components/schemas/{escape(name)}"
        run.add(
            POSSIBLY, "component-schema-removed", Here(ptr, "", f"components.schemas.{name}", request=False),
            f"schema {name} removed (its uses are compared where they are): the generated model class "
            "for it is renamed or gone, so code that imports it breaks on upgrade",
            in_base=True,
        )  # fmt: skip
    for name in sorted(set(new_schemas) - set(old_schemas)):
        ptr = f"#/components/schemas/{escape(name)}"
        run.add(NON, "component-schema-added", Here("", ptr, f"components.schemas.{name}", request=False),
                f"schema {name} added")  # fmt: skip


def compare_flows(run: Comparison, old: dict[str, object], new: dict[str, object], here: Here) -> None:
    """An OAuth flow removed strands the clients that get their tokens through it (breaking); a flow added,
    or a URL or scope description changed, leaves the credentials clients hold working (non-breaking)."""
    removed = sorted(set(old) - set(new))
    for flow in removed:
        run.add(
            BREAKING, "security-scheme-flow-removed", here.step(flow),
            f"OAuth flow {flow} removed: clients that obtain tokens through it can no longer authenticate",
            in_base=True,
        )  # fmt: skip
    if not removed:
        run.add(
            NON, "security-scheme-flows-changed", here,
            "OAuth flows changed (a flow added, URLs or the scopes offered): credentials clients hold still "
            "work; operations that require a new scope are reported where they do",
        )  # fmt: skip
