"""The command: `python -m tools.breaking [--base REF | --base-file PATH] [--spec PATH] [--accepted PATH]
[--format F] [--api]`.

Exit status 0 when the gate passes, 1 on a breaking change without a major bump of `info.version` (and
for nothing else), 2 when it cannot compare: an unknown ref, no spec at that ref, a document that is not
OpenAPI 3.0 or 3.1 (Swagger 2.0 included), a `$ref` to another file or a URL, a dangling `$ref`, or the
Python API diff cannot run. A refusal is one line on stderr, never a traceback. `--accepted` names the
file of reviewed changes (:mod:`tools.breaking.accepted`). `--format` picks the output
(:mod:`tools.breaking.formats`; `text` is the terminal report); `--api` adds the Python API diff of
`dots_client` (:mod:`tools.api_diff`: BASE's committed `generated/` against a regeneration of the spec),
against a git BASE on this project's own spec only. Neither changes the exit status or the verdict line;
both are imported only when asked for, so the default run stays as fast as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dots_spec.document import SPEC_PATH
from dots_spec.version import info_version
from tools.breaking.accepted import ACCEPTED_NAME, Entry, apply, load_accepted
from tools.breaking.compare import compare
from tools.breaking.git import GateError, default_base, spec_at
from tools.breaking.model import Change
from tools.breaking.read import read_document
from tools.breaking.render import render

# The output formats (tools.breaking.formats.FORMATS, repeated so the default run need not import it).
FORMATS = ("text", "json", "markdown", "github", "junit")

DESCRIPTION = "The spec-change gate (`make check-breaking`): classify each change between two versions of openapi.yaml."


def main(argv: list[str] | None = None) -> int:
    """Run the gate with `argv` (default: the command line); print the report, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.breaking", description=DESCRIPTION)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--base", help="git ref to compare with (default: origin/main if it exists, else HEAD)")
    source.add_argument("--base-file", type=Path, help="compare with this file instead of a git ref")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH, help="the changed spec (default: the working tree's)")
    parser.add_argument(
        "--accepted",
        type=Path,
        help=f"the file of reviewed, accepted changes (default: {ACCEPTED_NAME} next to the spec, if any)",
    )
    parser.add_argument(
        "--format", default="text", choices=FORMATS, help="output: text (default), json, markdown, github or junit"
    )
    parser.add_argument(
        "--api", action="store_true", help="add the Python API diff of dots_client (git BASE and this spec only)"
    )
    args = parser.parse_args(argv)
    if args.api and (args.base_file is not None or args.spec.resolve() != SPEC_PATH.resolve()):
        print("check-breaking: --api diffs this project's dots_client: not with --base-file or --spec", file=sys.stderr)
        return 2
    try:
        new = read_document(args.spec.read_text(encoding="utf-8"), str(args.spec))
        if args.base_file is not None:
            base_name = str(args.base_file)
            old = read_document(args.base_file.read_text(encoding="utf-8"), base_name)
        else:
            ref = args.base or default_base(args.spec.parent)
            base_name = f"{ref}:{args.spec.name}"
            old = read_document(spec_at(ref, args.spec), base_name)
        entries = load_accepted(args.accepted or args.spec.parent / ACCEPTED_NAME)
    except (GateError, OSError, UnicodeDecodeError) as error:
        return refuse(str(error))
    try:
        changes = compare(old, new)
    except Exception as error:
        return refuse(f"cannot compare {base_name} with {args.spec}: {type(error).__name__}: {error}")
    shown = args.spec.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    title = f"check-breaking: {shown} against {base_name}"
    kept, accepted, unmatched = apply(changes, entries)
    if args.format == "text" and not args.api:
        report, code = render(kept, info_version(old), info_version(new), title, accepted=accepted, unmatched=unmatched)
        sys.stdout.write(report)
        return code
    return _formatted(args.format, (kept, accepted, unmatched), (info_version(old), info_version(new)), title, args)


def refuse(reason: str) -> int:
    """Print why the gate cannot compare, on one line of stderr, and return exit status 2."""
    print(f"check-breaking: {' '.join(reason.split())}", file=sys.stderr)
    return 2


def _formatted(
    name: str,
    judged: tuple[list[Change], list[tuple[Change, Entry]], list[Entry]],
    versions: tuple[str, str],
    title: str,
    args: argparse.Namespace,
) -> int:
    """Print the report in the format `name` (with the API diff when `args.api`); the gate's exit status."""
    # Imported here: griffe alone takes 0.2 s to import, and the default run must stay as fast as it was.
    from tools import api_diff  # noqa: PLC0415
    from tools.breaking.formats import Report, render_as  # noqa: PLC0415

    api = None
    if args.api:
        try:
            old_api = api_diff.load_at(args.spec.parent, args.base or default_base(args.spec.parent))
            with api_diff.regenerated(args.spec) as folder:
                api = api_diff.diff(old_api, api_diff.load_from(folder))
        except (api_diff.ApiDiffError, GateError) as error:
            print(f"check-breaking: {error}", file=sys.stderr)
            return 2
    spec_name = str(args.spec.name if args.spec.resolve() == SPEC_PATH.resolve() else args.spec)
    changes, accepted, unmatched = judged
    report = Report(
        changes, *versions, title, spec_name, args.spec.read_text(encoding="utf-8"), api, accepted, unmatched
    )
    output = render_as(name, report)
    sys.stdout.write(output.stdout)
    if output.stderr is not None:
        print(output.stderr, file=sys.stderr)
    return output.exit_code
