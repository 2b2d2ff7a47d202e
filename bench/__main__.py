"""`python -m bench [section ...]`: run the benches and write reports/bench.{json,md}.

Sections: generation, client, servers, engines, suite, proxy, testkit (the default: all of them), and soak (minutes
of load watching the database's size and the sandbox's memory; only when named). Numbers are only
meaningful on a quiet machine: nothing else should run during `make bench`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bench import client_overhead, engines, generation, proxy, servers, soak, suite, testkit
from bench.report import Row, write

SECTIONS: dict[str, Callable[[], list[Row]]] = {
    "generation": generation.measure,
    "client": client_overhead.measure,
    "servers": servers.measure,
    "engines": engines.measure,
    "suite": suite.measure,
    "proxy": proxy.measure,
    "testkit": testkit.measure,
    "soak": soak.measure,
}
# What runs when no section is named: soak takes minutes per engine, so only when asked for.
DEFAULT_SECTIONS = ("generation", "client", "servers", "engines", "suite", "proxy", "testkit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"any of: {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    args.sections = args.sections or list(DEFAULT_SECTIONS)
    rows: list[Row] = []
    for name in args.sections:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        rows += SECTIONS[name]()
    json_path, md_path = write(rows, args.out)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
