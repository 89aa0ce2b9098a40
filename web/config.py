"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from models.db import default_url

# The compiled translation catalogue: Flask-Babel's in a request (its default directory),
# workflow.labels.use_catalogue's for the mail written outside one.
TRANSLATIONS = Path(__file__).parent / "translations"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc


def _bounded(name: str, default: int, low: int, high: int) -> int:
    value = _int(name, default)
    if not low <= value <= high:
        raise SystemExit(f"{name} must be between {low} and {high}, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    storage_dir: Path
    calendar_file: Path | None
    secret_key: str | None
    secure_cookies: bool
    smtp_url: str | None
    mail_from: str
    sweep_interval_seconds: int
    max_upload_bytes: int
    proxy_hops: int
    page_cache_seconds: int
    session_idle_minutes: int
    session_hours: int
    remember_days: int
    audit_key: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        calendar = os.environ.get("TDKT_CALENDAR_FILE")
        return cls(
            database_url=os.environ.get("TDKT_DATABASE_URL") or default_url(),
            storage_dir=Path(os.environ.get("TDKT_STORAGE_DIR") or "instance/documents"),
            calendar_file=Path(calendar) if calendar else None,
            secret_key=os.environ.get("TDKT_SECRET_KEY") or None,
            secure_cookies=os.environ.get("TDKT_SECURE_COOKIES", "") in ("1", "true", "yes"),
            smtp_url=os.environ.get("TDKT_SMTP_URL") or None,
            mail_from=os.environ.get("TDKT_MAIL_FROM") or "tdkt@localhost",
            sweep_interval_seconds=_int("TDKT_SWEEP_SECONDS", 60),
            max_upload_bytes=_int("TDKT_MAX_UPLOAD_MB", 20) * 1024 * 1024,
            proxy_hops=_int("TDKT_PROXY_HOPS", 0),
            page_cache_seconds=_int("TDKT_PAGE_CACHE_SECONDS", 30),
            # Office staff on shared computers: half an hour away from the desk ends a
            # session, and none outlives a working day; "remember me" at most a month.
            session_idle_minutes=_bounded("TDKT_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
            session_hours=_bounded("TDKT_SESSION_HOURS", 10, 1, 24 * 7),
            remember_days=_bounded("TDKT_REMEMBER_DAYS", 30, 0, 30),
            audit_key=_audit_key(),
        )


AUDIT_KEY_MIN = 16


def _audit_key() -> str | None:
    """TDKT_AUDIT_KEY: the secret the audit log's MACs are made with. Kept by the operator
    outside the database (an environment file, a secrets store): whoever has it and write
    access to the database can forge the log, whoever has only the database cannot."""
    raw = os.environ.get("TDKT_AUDIT_KEY") or None
    if raw is not None and len(raw.encode("utf-8")) < AUDIT_KEY_MIN:
        raise SystemExit(f"TDKT_AUDIT_KEY must be at least {AUDIT_KEY_MIN} bytes long "
                         "(e.g. the output of `python -c 'import secrets; "
                         "print(secrets.token_hex(32))'`)")
    return raw
