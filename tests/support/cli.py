"""The `tdkt` command as the tests run it: the console script beside this interpreter (else
the module), run in a working directory on a SQLite file; and a copy of a SQLite database
with its write-ahead log."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def tdkt_command() -> list[str]:
    """The console script installed beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "tdkt"
    found = str(script) if script.exists() else shutil.which("tdkt")
    return [found] if found else [sys.executable, "-m", "web.cli"]


def run_tdkt(workdir: Path, db_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TDKT_DATABASE_URL=f"sqlite:///{db_file}",
               TDKT_STORAGE_DIR=str(workdir / "documents"))
    return subprocess.run([*tdkt_command(), *args], cwd=workdir, env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def copy_sqlite(source: Path, target: Path) -> Path:
    """Copy a SQLite database with its write-ahead log, if one is left."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target
