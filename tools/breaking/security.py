"""Security requirements: can every client that authenticated before still meet one requirement?"""

from __future__ import annotations

from typing import Any

from dots_spec.refs import follow
from tools.breaking.model import BREAKING, NON
from tools.breaking.walk import DOC_KEYS, Comparison, Here, Spec, listing, mapping

# One way to authenticate: {scheme name: (the scheme's definition, its scopes)}; all of them together.
Alternative = dict[str, tuple[str, frozenset[str]]]


def identity(scheme: dict[str, Any]) -> str:
    """What a client's credentials for a scheme depend on: its type and where the credential goes.

    `http`: the scheme (case-insensitive, RFC 9110 section 11.1); `apiKey`: `in` and `name` (a header name
    case-insensitive); `oauth2`: nothing more (its flows are compared on the scheme itself: one removed is
    breaking, see :mod:`~tools.breaking.components`); `openIdConnect`: the discovery URL. Descriptions,
    `bearerFormat`, token and authorization URLs and the scopes a scheme lists are not part of it: a
    change to them is reported on the scheme (non-breaking), and scopes count where operations require them.
    """
    kind = scheme.get("type")
    if kind == "http":
        return f"http {str(scheme.get('scheme', '')).lower()}"
    if kind == "apiKey":
        where, name = scheme.get("in"), str(scheme.get("name", ""))
        return f"apiKey {where} {name.lower() if where == 'header' else name}"
    if kind == "oauth2":
        return "oauth2"
    if kind == "openIdConnect":
        return f"openIdConnect {scheme.get('openIdConnectUrl')}"
    return repr(sorted((k, repr(v)) for k, v in scheme.items() if k not in DOC_KEYS and not k.startswith("x-")))


def alternatives(spec: Spec, op: dict[str, Any]) -> list[Alternative]:
    """The operation's effective security (its own, else the document's): the alternatives a client may meet.

    No requirement at all is one alternative with no schemes (anonymous access).
    """
    requirements = op.get("security", spec.get("security", []))
    schemes = mapping(mapping(spec.get("components")).get("securitySchemes"))
    found = []
    for requirement in [r for r in listing(requirements) if isinstance(r, dict)] or [{}]:
        alternative = {}
        for name, raw_scopes in requirement.items():
            scheme, _ = follow(schemes.get(name, {}), spec)
            scopes = frozenset(s for s in listing(raw_scopes) if isinstance(s, str))
            alternative[name] = (identity(mapping(scheme)), scopes)
        found.append(alternative)
    return found


def satisfies(client: Alternative, need: Alternative) -> bool:
    """A client holding the credentials of `client` can meet requirement `need`.

    A scheme's name is on neither the wire nor the generated client (which sends the credentials it was given),
    so a scheme renamed with the same definition still takes them; except OAuth2, whose identity leaves out the
    flows, which may name another authorization server.
    """
    return all(_meets(client, name, definition, scopes) for name, (definition, scopes) in need.items())


def _meets(client: Alternative, name: str, definition: str, scopes: frozenset[str]) -> bool:
    if name in client:
        return client[name][0] == definition and scopes <= client[name][1]
    return definition != "oauth2" and any(held == definition and scopes <= granted for held, granted in client.values())


def scheme_summary(spec: Spec, name: str) -> str:
    """A security scheme in a few words: `http basic`, `apiKey in header X-Api-Key`."""
    scheme = ((spec.get("components") or {}).get("securitySchemes") or {}).get(name) or {}
    kind = scheme.get("type", "?")
    if kind == "http":
        return f"http {scheme.get('scheme', '?')}"
    if kind == "apiKey":
        return f"apiKey in {scheme.get('in', '?')} {scheme.get('name', '?')}"
    return str(kind)


def show(found: list[Alternative], anonymous: str = "none") -> str:
    """Security alternatives as `a + b or c`, with scopes in brackets; `anonymous` for no credentials."""
    shown = []
    for alternative in found:
        names = [f"{n}[{', '.join(sorted(s))}]" if s else n for n, (_, s) in sorted(alternative.items())]
        shown.append(" + ".join(names) or anonymous)
    return " or ".join(shown)


def compare_security(run: Comparison, old_op: dict[str, Any], new_op: dict[str, Any], here: Here) -> None:
    """Breaking when some old way to authenticate meets no new requirement; non-breaking when it only relaxed."""
    old_alts, new_alts = alternatives(run.old, old_op), alternatives(run.new, new_op)
    at = here.step("security")
    stranded = [a for a in old_alts if not any(satisfies(a, n) for n in new_alts)]
    if stranded:
        redefined = sorted(
            {
                f"{name} redefined: {scheme_summary(run.old, name)} -> {scheme_summary(run.new, name)}"
                for alt in stranded
                for name, (definition, _) in alt.items()
                if any(name in n and n[name][0] != definition for n in new_alts)
            }
        )
        who = show(stranded, anonymous="no credentials")
        run.add(
            BREAKING, "security-tightened", at,
            f"security {show(old_alts)} -> {show(new_alts)}"
            f"{' (' + '; '.join(redefined) + ')' if redefined else ''}: clients that authenticate "
            f"with {who} meet no requirement any more",
        )  # fmt: skip
    elif old_alts != new_alts:
        run.add(
            NON, "security-relaxed", at,
            f"security {show(old_alts)} -> {show(new_alts)}: every old way to authenticate still works",
        )  # fmt: skip
