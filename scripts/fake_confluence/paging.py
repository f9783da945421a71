"""Keyset pagination shared by v2 cursors and the Cloud v1 search cursor.

A listing is a sorted list of *entries*: tuples ``(k1, ..., page_id)``.
A cursor stores the entry of the last item served (plus a signature of the
query's sort), so the next page starts strictly after it. Because the cursor
names a position in the ordering rather than an offset, inserts and deletes
before it never cause skips or repeats of untouched pages.
"""

from __future__ import annotations

import base64
import bisect
import json
import zlib
from typing import List, Optional, Sequence, Tuple

from .store import Page

#: Sort field name -> Page attribute accessor.
_FIELDS = {
    "id": lambda p: p.id,
    "created": lambda p: p.created_ms,
    "modified": lambda p: p.modified_ms,
    "title": lambda p: p.title.lower(),
    "position": lambda p: p.position,
}


class BadCursor(ValueError):
    """The cursor is malformed or belongs to a different query."""


def desc_value(value):
    """Map a sort value so that ascending order of the result is descending order of ``value``."""
    if isinstance(value, int):
        return -value
    # Reverse string order: negate code points, end with a sentinel so that a
    # prefix sorts after its extensions.
    return tuple(-ord(c) for c in value) + (0,)


def order_key(page: Page, order: Sequence[Tuple[str, bool]]) -> tuple:
    """Entry tuple for ``page`` under ``order`` = [(field, descending), ...]."""
    key = []
    for name, desc in order:
        v = _FIELDS[name](page)
        key.append(desc_value(v) if desc else v)
    key.append(page.id)
    return tuple(key)


def _freeze(v):
    return tuple(_freeze(x) for x in v) if isinstance(v, list) else v


def _sig(sig: str) -> str:
    return "%08x" % zlib.crc32(sig.encode("utf-8"))


def encode_cursor(sig: str, entry: tuple, direction: str = "n") -> str:
    """Opaque cursor naming ``entry`` (``direction`` "n" = after it, "p" = before it)."""
    raw = json.dumps([_sig(sig), direction, list(entry)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sig: str) -> Tuple[str, tuple]:
    """Return (direction, entry). Raises :class:`BadCursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_sig, direction, entry = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise BadCursor("invalid cursor") from exc
    if got_sig != _sig(sig) or direction not in ("n", "p") or not isinstance(entry, list):
        raise BadCursor("cursor does not belong to this query")
    return direction, _freeze(entry)


def page_slice(entries: List[tuple], limit: int, cursor: Optional[Tuple[str, tuple]]) -> Tuple[int, List[tuple]]:
    """Pick the slice for a request. Returns (start_index, chunk)."""
    if cursor is None:
        start = 0
    else:
        direction, entry = cursor
        try:
            if direction == "n":
                start = bisect.bisect_right(entries, entry)
            else:
                start = max(0, bisect.bisect_left(entries, entry) - limit)
        except TypeError as exc:  # entry of the wrong shape
            raise BadCursor("cursor does not belong to this query") from exc
    return start, entries[start : start + limit]
