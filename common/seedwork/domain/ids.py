"""Time-ordered UUIDs (the version 7 layout of RFC 9562).

48 bits of Unix milliseconds, then 74 random bits: still unguessable, but ids minted one
after another are neighbours, so a table keyed by them appends to its primary-key index
instead of dirtying a random page per row. The moment is readable back
(``time_of``): a consumer can tell an id minted a second ago from an old or forged one.
"""
from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta


def time_ordered_uuid(now_ns: int | None = None) -> str:
    millis = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    return _version_7(millis, int.from_bytes(os.urandom(10), "big"))


_EPOCH, _MILLISECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)


def first_id_at(moment: datetime) -> str:
    """The smallest version 7 id minted at ``moment`` (its millisecond): every id minted
    before it sorts below it, as text and as a UUID."""
    return _version_7((moment - _EPOCH) // _MILLISECOND, 0)  # exact: no float on the way


def _version_7(millis: int, random_bits: int) -> str:
    """The id of ``millis`` with ``random_bits`` (80 bits, some overwritten by the version
    and the variant), in uuid.UUID's canonical form without building one (hot path)."""
    value = millis << 80 | random_bits
    value = (value & ~(0xF << 76)) | (0x7 << 76)            # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)            # RFC 4122 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def time_of(value: str) -> datetime | None:
    """When a version 7 id was minted (to the millisecond); None for any other text."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
    if parsed.version != 7:
        return None
    return datetime.fromtimestamp((parsed.int >> 80) / 1000, UTC)
