"""Strict JSON for signed documents: duplicate keys, NaN/Infinity and non-UTF-8 refused.

Two parsers that disagree on a duplicate key would read two different documents from the
same signed bytes, so every JSON this package verifies is read through :func:`loads`.
"""

from __future__ import annotations

import json
from typing import Any


class StrictJSONError(ValueError):
    """The bytes are not one strict JSON document."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not JSON")


def loads(data: bytes | str) -> Any:
    """Parse one JSON document strictly; :class:`StrictJSONError` on anything lenient."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except StrictJSONError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise StrictJSONError(str(exc).split("\n")[0]) from exc


def dumps(obj: Any) -> bytes:
    """Compact, key-order-preserving UTF-8 JSON (the form this package writes)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
