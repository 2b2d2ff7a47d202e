"""Bench rows and the two reports they are written to (reports/bench.json and reports/bench.md)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One measurement: ours beside its baseline. A row with no number says why in `notes`."""

    name: str
    ours: float | None
    baseline: float | None
    unit: str
    notes: str
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.baseline is None or self.baseline == 0:
            return None
        return self.ours / self.baseline


def machine() -> str:
    """A one-line description of the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def write(rows: list[Row], out_dir: Path) -> tuple[Path, Path]:
    """Write both reports and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine(), "rows": [{**asdict(row), "ratio": row.ratio} for row in rows]}
    json_path = out_dir / "bench.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"Machine: {data['machine']}",
        "",
        "| measurement | ours | baseline | ratio | unit | target | notes |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {_fmt(r.ours)} | {_fmt(r.baseline)} | {_fmt(r.ratio)} | {r.unit} | {r.target} | {r.notes} |"
        for r in rows
    ]
    md_path = out_dir / "bench.md"
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, md_path
