"""The whole comparison: the document's top level, then its operations, webhooks and components."""

from __future__ import annotations

from tools.breaking import components, paths, webhooks
from tools.breaking.model import NON, Change
from tools.breaking.walk import DOC_KEYS, Comparison, Here, Spec

# Top-level fields the comparison looks into (`security` through each operation that inherits it); a
# change to any other one is unrecognised.
TOP_LEVEL_KEYS = frozenset({"info", "tags", "externalDocs", "servers", "paths", "webhooks", "components", "security"})
# Fields of the Info Object that only describe; `info.version` is the verdict's business, not a change.
INFO_DOC_KEYS = DOC_KEYS | {"title", "contact", "license", "termsOfService"}


def compare(old: Spec, new: Spec) -> list[Change]:
    """Every change from `old` to `new` (two parsed OpenAPI documents), classified and sorted (breaking first).

    Raises `ValueError` when a `$ref` is not local or loops.
    """
    run = Comparison(old, new)
    top = Here("#", "#", "spec", request=False)
    run.docs(old.get("info", {}), new.get("info", {}), top.step("info", "info"), INFO_DOC_KEYS)
    for key in ("tags", "externalDocs"):
        if old.get(key) != new.get(key):
            run.add(NON, "docs-changed", top.step(key, key), f"{key} changed (documentation only)")
    if old.get("servers") != new.get("servers"):
        run.add(
            NON, "servers-changed", top.step("servers", "servers"),
            "servers changed (the generated client is always given its base_url)",
        )  # fmt: skip
    run.leftovers(old, new, top, TOP_LEVEL_KEYS)
    paths.compare_paths(run)
    webhooks.compare_webhooks(run)
    components.compare_components(run)
    return sorted(set(run.changes))
