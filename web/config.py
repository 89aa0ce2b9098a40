"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from models.db import default_url


@dataclass(frozen=True)
class Settings:
    database_url: str
    storage_dir: Path
    calendar_file: Path | None

    @classmethod
    def from_env(cls) -> Settings:
        calendar = os.environ.get("TDKT_CALENDAR_FILE")
        return cls(
            database_url=os.environ.get("TDKT_DATABASE_URL") or default_url(),
            storage_dir=Path(os.environ.get("TDKT_STORAGE_DIR") or "instance/documents"),
            calendar_file=Path(calendar) if calendar else None,
        )
