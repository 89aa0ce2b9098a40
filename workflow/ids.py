"""What an id is: a row's key, a whole number from 1 to 2**31 − 1.

Every id column is an `integer` (PostgreSQL's is 32-bit signed). A larger number sent to
PostgreSQL fails the whole statement ("integer out of range") and, unchecked, the request
with a 500; zero and negative numbers name no row. So ids from outside — URL paths, query
strings, form fields, JSON bodies — are checked here, by one parser for text and one type
for JSON, before any query sees them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1  # the largest PostgreSQL `integer`
# ASCII digits only: str.isdigit() also takes "²" and other digits that int() refuses.
# At most ten of them (MAX_ID has ten), so no huge number is ever converted.
ID_TEXT = re.compile(r"[0-9]{1,10}")

Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id in a JSON body


def as_id(text: str | None) -> int | None:
    """The id `text` spells (surrounding spaces allowed), or None if it spells none: not
    digits, zero, or past MAX_ID."""
    text = (text or "").strip()
    if not ID_TEXT.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
