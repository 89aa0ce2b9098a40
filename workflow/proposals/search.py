"""Matching what people type into a search box against Vietnamese names: blind to case,
to tone marks and other diacritics, and to extra spaces, so "so giao duc" finds
"Sở Giáo dục và Đào tạo" as "Sở Giáo" does."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Đ/đ is a letter of its own, not D with a mark: decomposing leaves it as it is. Ð/ð
# (Icelandic eth) look the same and some keyboards type them for it.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """`text` without case, diacritics or repeated spaces (full-width letters as plain)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip()
