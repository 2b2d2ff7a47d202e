"""The spec-change gate (`make check-breaking`): classify each change between two versions of openapi.yaml.

Every change is one of three classes, judged by what it does to a client that was generated from the base
version and is already deployed (the `dots_client` package this repository generates):

- **breaking**: such a client, or the code around it, fails on a request or a response it used to handle;
- **possibly breaking**: the wire contract still holds, but behaviour may change (a value no longer checked,
  a field the server now ignores) or the regenerated client's Python API changes (a class, enum member or
  function renamed or dropped);
- **non-breaking**: additive or documentation-only.

The rule behind every verdict is direction: a request schema may only *widen* (the server must still accept
everything it accepted), a response schema may only *narrow* (the server may only send what clients already
parse). `$ref`s are followed on both sides wherever they stand, and `allOf` (with a 3.1 `$ref`'s sibling
keywords) is merged into the one schema it applies, so a schema moved between inline and `#/components`, or
wrapped in `allOf`, compares by content. Any OpenAPI 3.0 or 3.1 document in one file is read
(:mod:`~tools.breaking.read`); what cannot be compared is refused with exit status 2.

The gate fails on any breaking change unless `info.version`'s major part was raised; `info.version` is also
the generated package's version (`dots_spec.version`), so that bump is the one version bump.

Usage: ``python -m tools.breaking [--base REF | --base-file PATH] [--spec PATH] [--accepted PATH]``. The
spec is compared with ``git show REF:openapi.yaml``; REF defaults to ``origin/main`` when it exists, else
``HEAD`` (so on a checkout without a remote, the gate checks the uncommitted edits).

The modules follow the document's shape: :mod:`~tools.breaking.compare` walks the top level and hands over
to :mod:`~tools.breaking.paths` (operations: :mod:`~tools.breaking.security`,
:mod:`~tools.breaking.parameters`, :mod:`~tools.breaking.bodies`, :mod:`~tools.breaking.responses`),
:mod:`~tools.breaking.webhooks` (requests the API sends, so compared in the reverse direction) and
:mod:`~tools.breaking.components`; every schema goes through :mod:`tools.breaking.schemas`, one module per
family of keywords. :mod:`~tools.breaking.walk` is the shared state of one comparison,
:mod:`~tools.breaking.verdict` and :mod:`~tools.breaking.render` turn changes into the report,
:mod:`~tools.breaking.accepted` sets reviewed false alarms aside, and :mod:`~tools.breaking.git` and
:mod:`~tools.breaking.cli` are the command.
"""
