"""RFC 8785 (JCS) canonical JSON for the values this tool writes, and a strict JSON reader.

:func:`canonical_json` produces the one canonical byte form of a JSON value made of
``dict`` (string keys), ``list``/``tuple``, ``str``, ``int``, ``bool`` and ``None``:

* no insignificant whitespace;
* object members sorted by their keys' UTF-16 code units (RFC 8785 §3.2.3), which is the
  byte order of the keys' UTF-16BE encodings;
* strings escaped as ECMAScript ``JSON.stringify`` does (RFC 8785 §3.2.2.2): ``\\"``,
  ``\\\\``, ``\\b \\f \\n \\r \\t``, other controls as ``\\u00xx`` (lower-case hex), every other
  character literal in UTF-8; lone surrogates are rejected;
* numbers are integers only, within the I-JSON range ``|n| <= 2^53 - 1``, where the
  ECMAScript number serialisation of RFC 8785 is plain decimal digits. Floats are
  refused rather than approximated.

:func:`loads_strict` reads JSON bytes for the file formats we own: UTF-8 without a BOM, no
duplicate member names, no floats or NaN/Infinity, integers in the I-JSON range, no lone
surrogates. It does not require the canonical form. Both raise :class:`JsonFormatError`.

Fast path: for the common case the bytes come from the C encoder of :mod:`json`
(``sort_keys``, compact separators, ``ensure_ascii=False``), used only when its output is
provably the RFC 8785 form: the value is made of exactly ``dict`` with ASCII ``str`` keys,
``list``, ``tuple``, ``str``, ``int`` within the I-JSON range, ``bool`` and ``None``, nested
no deeper than the reference encoder allows. For such values ``json`` escapes exactly as
RFC 8785 does (``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other controls as lower-case
``\\u00xx``; U+007F, U+2028, U+2029 and every other character literal) and its code-point
key order equals UTF-16 code-unit order (ASCII keys are single code units). Anything else
(subclasses, other mappings, non-ASCII keys, floats, big integers, lone surrogates) takes
the reference encoder, which also produces every error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from anchor.errors import InputError

MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
for _code in range(0x20):
    _ESCAPES.setdefault(chr(_code), f"\\u{_code:04x}")
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_NEEDS_ESCAPE = frozenset(_ESCAPES)
_MAX_DEPTH = 64

# The C encoder of the json module, configured to give RFC 8785 output for plain values.
# check_circular is off: _is_plain bounds the depth first, so a cycle never reaches it.
_fast_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), check_circular=False
).encode


class JsonFormatError(InputError):
    """A value cannot be written as canonical JSON, or JSON input breaks the strict rules."""


def canonical_json(value: object) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value`` (see the module docstring for the subset)."""
    if _is_plain(value, 0):
        try:
            return _fast_encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the reference encoder reports it
    return _reference(value)


def quote(text: str) -> str:
    """The RFC 8785 form of one string, quotes included, as text (for writers that build
    canonical documents from pieces). Raises :class:`JsonFormatError` on a lone surrogate."""
    if not encodable(text):
        raise JsonFormatError("canonical JSON: a string contains a lone surrogate")
    return _quote(text)


def _is_plain(value: object, depth: int) -> bool:
    """True when ``value`` is exactly dict/list/tuple/str/int/bool/None, with ASCII ``str``
    keys, integers within +-(2^53-1) and nothing nested deeper than the reference allows."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    members: Iterable[object]
    if kind is int:
        return -MAX_SAFE_INTEGER <= cast(int, value) <= MAX_SAFE_INTEGER
    if kind is dict:
        mapping = cast(dict[object, object], value)
        for key in mapping:
            if type(key) is not str or not key.isascii():
                return False
        members = mapping.values()
    elif kind is list or kind is tuple:
        members = cast(Sequence[object], value)
    else:
        return False
    if depth >= _MAX_DEPTH:
        return not value  # any member would be nested too deeply
    for item in members:  # noqa: SIM110 - a plain loop is faster than all() here
        if type(item) is not str and not _is_plain(item, depth + 1):
            return False
    return True


def _reference(value: object) -> bytes:
    parts: list[str] = []
    _emit(value, parts, depth=0)
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JsonFormatError("canonical JSON: a string contains a lone surrogate") from exc


def _quote(text: str) -> str:
    if _NEEDS_ESCAPE.isdisjoint(text):
        return f'"{text}"'
    return f'"{text.translate(_ESCAPE_TABLE)}"'


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _emit(value: object, parts: list[str], *, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise JsonFormatError("canonical JSON: nesting deeper than 64 levels")
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise JsonFormatError(f"canonical JSON: integer {value} outside +-(2^53-1)")
        parts.append(str(int(value)))
    elif isinstance(value, str):
        parts.append(_quote(value))
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise JsonFormatError(f"canonical JSON: object key {key!r} is not a string")
        parts.append("{")
        for n, key in enumerate(sorted(value, key=_utf16_key)):
            if n:
                parts.append(",")
            parts.append(_quote(key))
            parts.append(":")
            _emit(value[key], parts, depth=depth + 1)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for n, item in enumerate(value):
            if n:
                parts.append(",")
            _emit(item, parts, depth=depth + 1)
        parts.append("]")
    else:
        raise JsonFormatError(f"canonical JSON: unsupported type {type(value).__name__}")


def _no_duplicates(pairs: Sequence[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, item in pairs:
        if key in out:
            raise JsonFormatError(f"duplicate member name {key!r}")
        out[key] = item
    return out


def _no_float(text: str) -> object:
    raise JsonFormatError(f"non-integer number {text} (only integers are allowed)")


def _no_constant(text: str) -> object:
    raise JsonFormatError(f"{text} is not JSON")


def _check_values(value: object) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise JsonFormatError(f"integer {item} outside +-(2^53-1)")
        elif isinstance(item, dict):
            for key, member in item.items():
                _check_text(key)
                stack.append(member)
        elif isinstance(item, list):
            stack.extend(item)


def encodable(text: str) -> bool:
    """True when ``text`` can be written as canonical JSON: it holds no lone surrogate
    (JSON input may carry one as an escape; UTF-8 cannot carry it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(text: str) -> None:
    if not encodable(text):
        raise JsonFormatError("a string contains a lone surrogate escape")


def loads_strict(data: bytes) -> object:
    """Parse JSON bytes under the strict rules above; raises JsonFormatError with the reason."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise JsonFormatError("JSON must not start with a byte-order mark")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFormatError(f"JSON is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise JsonFormatError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise JsonFormatError("JSON nested too deeply") from exc
    _check_values(value)
    return value
