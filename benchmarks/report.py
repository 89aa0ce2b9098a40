"""The run's table (stdout) and its JSON file."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure, fmt
from benchmarks.sizes import Sizes

COLUMNS = ("figure", "median", "unit", "baseline", "ratio", "target", "met")


def table(figures: list[Figure]) -> str:
    rows = [COLUMNS] + [(f.label, fmt(f.value), f.unit, fmt(f.baseline),
                         "—" if f.ratio is None else f"{f.ratio:.2f}×", f.target_text,
                         {True: "met", False: "NOT MET", None: "—"}[f.met])
                        for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def baselines(figures: list[Figure]) -> str:
    seen = dict.fromkeys(f"  {f.key}: baseline = {f.baseline_label}" for f in figures
                         if f.baseline_label)
    notes = [f"  {f.key}: {f.note}" for f in figures if f.note]
    return "Baselines:\n" + "\n".join(seen) + "\nNotes:\n" + "\n".join(notes)


def machine() -> dict[str, Any]:
    memory = None
    if shutil.which("free"):
        memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "free_g": memory, "python": sys.version.split()[0],
            "platform": platform.platform(), "date": datetime.now(UTC).isoformat()}


def write_json(path: Path, figures: list[Figure], sizes: Sizes, database: str) -> None:
    data = {"machine": machine(), "database": database, "sizes": asdict(sizes),
            "figures": [f.as_dict() for f in figures]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
