"""Instants as the library takes them: RFC 3339 text in UTC, from text or an aware datetime."""

from __future__ import annotations

import datetime as _datetime
from typing import Optional, Union

from .errors import InvalidArgument

#: An instant: RFC 3339 text in UTC (``"2026-12-01T14:00:00Z"``) or a timezone-aware datetime.
Instant = Union[str, _datetime.datetime]


def instant_text(value: Optional[Instant], what: str) -> Optional[str]:
    """An instant as the RFC 3339 text the library takes (``None`` stays ``None``).

    A ``datetime`` must be timezone-aware; it is written in UTC, with milliseconds when it has a
    fraction of a second (finer fractions are cut off).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidArgument(f"{what}: a naive datetime; give a timezone-aware one (such as tzinfo=timezone.utc)")
        utc = value.astimezone(_datetime.timezone.utc)
        text = utc.strftime("%Y-%m-%dT%H:%M:%S")
        if utc.microsecond:
            text += f".{utc.microsecond // 1000:03d}"
        return text + "Z"
    raise InvalidArgument(f"{what}: expected RFC 3339 text or a datetime, not {type(value).__name__}")
