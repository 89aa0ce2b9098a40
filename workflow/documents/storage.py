"""Where document files live in the storage directory (named by their SHA-256, so an
upload retried or shared by two dossiers is stored once), and which files the audit trail
keeps after their document was removed from a dossier."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SHA256 = re.compile(r"[0-9a-f]{64}")


def stored_at(digest: str) -> str:
    """The file's path under the storage directory."""
    return f"{digest[:2]}/{digest}"


def kept_for_audit(payloads: Iterable[Mapping[str, Any] | None]) -> dict[str, str]:
    """{path: SHA-256} of the files of removed documents, from the payloads of the
    `remove_document` events that name them: what was filed and then removed stays
    readable, so doctor does not take these files for orphans and backups carry them."""
    digests = {str((payload or {}).get("sha256") or "") for payload in payloads}
    return {stored_at(d): d for d in digests if _SHA256.fullmatch(d)}
