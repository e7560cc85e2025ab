"""JSON in and out of the HTTP edge.

In: numbers with a fraction become ``Decimal`` (never float: amounts stay exact; the
schemas then decide what a field accepts), ``NaN``/``Infinity`` and duplicate keys are
refused, and nesting deeper than the configured limit is refused *before* parsing, so
a hostile body cannot exhaust the parser's recursion. Text holding the NUL character
(``\u0000``) is refused too: PostgreSQL cannot store it, so it would otherwise reach a
service and fail there (a 500) instead of being refused here.

Out: ``Decimal`` as its exact string, datetimes as ISO 8601.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.seedwork.domain.clock import as_utc, isoformat


class MalformedJson(ValueError):
    pass


def parse(text: str, max_depth: int) -> Any:
    check_depth(text, max_depth)
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant,
                           object_pairs_hook=_unique_keys)
    except MalformedJson:
        raise
    except (ValueError, RecursionError) as error:
        raise MalformedJson(f"The body is not valid JSON ({_position(error)}).") from None
    _refuse_nul(value)
    return value


def _refuse_nul(value: Any) -> None:
    """No key or string may contain U+0000 (the depth is already bounded)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise MalformedJson("Text may not contain the NUL character (\\u0000).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


def check_depth(text: str, max_depth: int) -> None:
    """Refuse more than ``max_depth`` nested arrays/objects, ignoring brackets in strings."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise MalformedJson(f"The body nests deeper than {max_depth} levels.")
        elif char in "]}":
            depth -= 1


def dumps(value: Any) -> str:
    return json.dumps(value, default=_encode, separators=(",", ":"), ensure_ascii=False)


def to_wire(value: Any) -> Any:
    """Validated data (with Decimals, datetimes) as plain JSON types for an RPC payload."""
    return json.loads(dumps(value))


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return isoformat(as_utc(value))
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a number JSON allows.")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJson(f"The key {key!r} appears twice in one object.")
        result[key] = value
    return result


def _position(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"line {error.lineno}, column {error.colno}"
    return "too deeply nested"
