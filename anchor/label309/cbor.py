"""Canonical CBOR for Label 309: one encoder, a strict decoder, a lenient span reader.

* :func:`encode` is the single source of every byte that is hashed, signed or
  published (RFC 8949 §4.2.1 core deterministic encoding: shortest heads, definite
  lengths, map keys sorted by their encoded bytes, no floats, no tags).
* :func:`decode` is the strict decoder for the record body and the leaves-list
  document: any deviation from the canonical profile is ``MALFORMED_CBOR``.
* :func:`decode_lenient` and the span functions read transactions, auxiliary data
  and COSE blobs, which may legitimately be non-canonical; spans give the exact raw
  bytes of sub-items so they can be hashed as fetched, never re-encoded.

The data model is lossless: maps are :class:`CborMap` (ordered pairs, any key kind,
looked up by encoded key so ``1`` and ``True`` stay distinct); ``bool`` is never
treated as ``int``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union, overload

from anchor.errors import AnchorError, Label309Error

MALFORMED_CBOR = "MALFORMED_CBOR"
MAX_DEPTH = 256
MAX_ITEMS = 1 << 20
"""Default item budget of one decode (about a million data items): the decoders build a
Python object per item, so the budget bounds their memory whatever the input's shape. A
whole transaction (at most 16,384 bytes on mainnet) has far fewer; the leaves-list parser
passes a budget from its length."""
_UINT64_MAX = (1 << 64) - 1

CborValue = Union[int, bool, None, bytes, str, list[Any], "CborMap", "Tag", "Simple", float]


class CborError(Label309Error):
    """The bytes are not acceptable CBOR (for the strict decoder: not canonical). Code MALFORMED_CBOR."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(MALFORMED_CBOR, f"{message}{where}")
        self.offset = offset


class CborEncodeError(AnchorError):
    """A value cannot be encoded in the canonical profile (float, duplicate key, foreign type...)."""


@dataclass(frozen=True)
class Tag:
    """A tagged item, produced only by the lenient decoder."""

    tag: int
    value: Any


@dataclass(frozen=True)
class Simple:
    """A simple value other than false/true/null (e.g. undefined = 23); lenient decoder only."""

    value: int


class CborMap:
    """An immutable CBOR map: ordered ``(key, value)`` pairs, keys of any CBOR kind.

    Lookup goes through the key's canonical encoding, so ``1`` and ``True`` are
    different keys and list or map keys work. Pairs keep the order they were given
    (the strict decoder yields canonical order).
    """

    __slots__ = ("_index", "_pairs")
    _pairs: tuple[tuple[Any, Any], ...]
    _index: dict[bytes, int] | None

    def __init__(self, pairs: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None = None) -> None:
        if pairs is None:
            items: tuple[tuple[Any, Any], ...] = ()
        elif isinstance(pairs, CborMap):
            items = pairs._pairs
        elif isinstance(pairs, Mapping):
            items = tuple(pairs.items())
        else:
            items = tuple((k, v) for k, v in pairs)
        self._pairs = items
        # Built on first lookup: a decoded map that is never looked up (a map used as a
        # key of another map, a nested value nobody reads) never re-encodes its keys, so
        # maps nested as keys cost linear, not depth x size, work.
        self._index = None

    def _lookup(self) -> dict[bytes, int]:
        index = self._index
        if index is None:
            index = {}
            for pos, (key, _value) in enumerate(self._pairs):
                enc = _key_bytes(key)
                if enc not in index:
                    index[enc] = pos
            self._index = index
        return index

    def get(self, key: Any, default: Any = None) -> Any:
        pos = self._lookup().get(_key_bytes(key))
        return default if pos is None else self._pairs[pos][1]

    def __getitem__(self, key: Any) -> Any:
        pos = self._lookup().get(_key_bytes(key))
        if pos is None:
            raise KeyError(key)
        return self._pairs[pos][1]

    def __contains__(self, key: object) -> bool:
        return _key_bytes(key) in self._lookup()

    def __len__(self) -> int:
        return len(self._pairs)

    def __iter__(self) -> Iterator[Any]:
        return (k for k, _ in self._pairs)

    def items(self) -> tuple[tuple[Any, Any], ...]:
        return self._pairs

    def keys(self) -> list[Any]:
        return [k for k, _ in self._pairs]

    def values(self) -> list[Any]:
        return [v for _, v in self._pairs]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            other = CborMap(other)
        if not isinstance(other, CborMap):
            return NotImplemented
        return _canonical_pairs(self) == _canonical_pairs(other)

    def __hash__(self) -> int:
        return hash(tuple(_canonical_pairs(self)))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._pairs)
        return f"CborMap({{{inner}}})"


def _key_bytes(key: Any) -> bytes:
    try:
        return encode(key)
    except CborEncodeError:
        return b"\xff" + repr(key).encode()


def _canonical_pairs(m: CborMap) -> list[tuple[bytes, bytes]]:
    return sorted((_key_bytes(k), _key_bytes(v)) for k, v in m.items())


# --------------------------------------------------------------------------- encoder


def _head(major: int, n: int) -> bytes:
    mt = major << 5
    if n < 24:
        return bytes((mt | n,))
    if n < 0x100:
        return bytes((mt | 24, n))
    if n < 0x10000:
        return bytes((mt | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((mt | 26,)) + n.to_bytes(4, "big")
    return bytes((mt | 27,)) + n.to_bytes(8, "big")


def encode(value: Any) -> bytes:
    """Encode ``value`` canonically. Raises :class:`CborEncodeError` outside the profile."""
    out = bytearray()
    _encode_into(value, out, 0)
    return bytes(out)


def _encode_into(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CborEncodeError("value nested too deeply to encode")
    if value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif value is None:
        out.append(0xF6)
    elif isinstance(value, int):
        if 0 <= value <= _UINT64_MAX:
            out += _head(0, value)
        elif -(1 << 64) <= value < 0:
            out += _head(1, -1 - value)
        else:
            raise CborEncodeError(f"integer {value} is outside the CBOR range -2^64..2^64-1")
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        out += _head(2, len(data))
        out += data
    elif isinstance(value, str):
        data = value.encode("utf-8")
        out += _head(3, len(data))
        out += data
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode_into(item, out, depth + 1)
    elif isinstance(value, CborMap | Mapping):
        pairs = value.items()
        encoded: list[tuple[bytes, Any]] = []
        for key, item in pairs:
            kb = bytearray()
            _encode_into(key, kb, depth + 1)
            encoded.append((bytes(kb), item))
        encoded.sort(key=lambda kv: kv[0])
        out += _head(5, len(encoded))
        previous: bytes | None = None
        for kb_sorted, item in encoded:
            if kb_sorted == previous:
                raise CborEncodeError(f"duplicate map key {kb_sorted.hex()}")
            previous = kb_sorted
            out += kb_sorted
            _encode_into(item, out, depth + 1)
    elif isinstance(value, float):
        raise CborEncodeError("floats are not allowed in canonical Label 309 CBOR")
    else:
        raise CborEncodeError(f"cannot encode {type(value).__name__} as canonical CBOR")


# --------------------------------------------------------------------------- decoders


class PackedDigests(Sequence[bytes]):
    """An array of 32-byte byte strings kept as the encoded bytes it was decoded from.

    Item ``i`` is ``data[start + 34 * i + 2 : start + 34 * (i + 1)]`` (each item is the
    canonical ``0x58 0x20`` head and 32 bytes): no Python object per item is held, so a
    leaves-list costs its own bytes, not about 100 bytes a leaf. Equal to any sequence of
    the same byte strings; slices are lists.
    """

    __slots__ = ("_count", "_data", "_start")

    def __init__(self, data: bytes, start: int, count: int) -> None:
        self._data = data
        self._start = start
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            a, b, step = index.indices(self._count)
            data, base = self._data, self._start + 2
            return [data[base + 34 * i : base + 34 * i + 32] for i in range(a, b, step)]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("PackedDigests index out of range")
        at = self._start + 34 * index + 2
        return self._data[at : at + 32]

    def __iter__(self) -> Iterator[bytes]:
        data, base = self._data, self._start + 2
        for at in range(base, base + 34 * self._count, 34):
            yield data[at : at + 32]

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """Position of the first item equal to ``value`` (ValueError if none): a byte search."""
        if not isinstance(value, bytes | bytearray | memoryview) or len(value) != 32:
            raise ValueError("not in PackedDigests")
        a, b, _ = slice(start, stop).indices(self._count)
        needle = bytes(value)
        base = self._start + 2
        end = base + 34 * b
        at = self._data.find(needle, base + 34 * a, end)
        while at >= 0:
            if (at - base) % 34 == 0:
                return (at - base) // 34
            at = self._data.find(needle, at + 1, end)
        raise ValueError("not in PackedDigests")

    def __contains__(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedDigests | list | tuple):
            if len(self) != len(other):
                return False
            return all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedDigests(count={self._count})"


class _Reader:
    """Recursive-descent decoder over a bytes buffer; strict or lenient.

    Nesting is bounded by :data:`MAX_DEPTH` and the number of items built by
    ``budget`` (each container, string, number or simple value is one item).
    """

    __slots__ = ("budget", "data", "n", "pack", "strict")

    def __init__(
        self, data: bytes, strict: bool, budget: int = MAX_ITEMS, pack: bool = False
    ) -> None:
        self.data = data
        self.n = len(data)
        self.strict = strict
        self.budget = budget
        self.pack = pack

    def packed_or_item(self, pos: int, depth: int) -> tuple[Any, int]:
        """A :class:`PackedDigests` when the item at ``pos`` is a definite array of only
        canonical 32-byte byte strings (what :meth:`item` would accept and build as a list
        of bytes); anything else goes through :meth:`item`, errors and budget included."""
        data = self.data
        if pos < self.n and data[pos] >> 5 == 4 and (data[pos] & 0x1F) != 31:
            try:
                _major, _ai, count, start = self.head(pos)
            except CborError:
                return self.item(pos, depth)
            assert count is not None
            end = start + 34 * count
            if (
                count
                and depth <= MAX_DEPTH
                and self.budget > count
                and end <= self.n
                and data[start:end:34].count(0x58) == count
                and data[start + 1 : end : 34].count(0x20) == count
            ):
                self.budget -= count + 1
                return PackedDigests(data, start, count), end
        return self.item(pos, depth)

    def spend(self, count: int, pos: int) -> None:
        self.budget -= count
        if self.budget < 0:
            raise self.fail("more data items than the decoder's budget", pos)

    def fail(self, message: str, offset: int) -> CborError:
        return CborError(message, offset=offset)

    def head(self, pos: int) -> tuple[int, int, int | None, int]:
        """Return (major, ai, argument or None for indefinite, next position)."""
        data = self.data
        if pos >= self.n:
            raise self.fail("truncated input", pos)
        ib = data[pos]
        major = ib >> 5
        ai = ib & 0x1F
        pos += 1
        if ai < 24:
            return major, ai, ai, pos
        if ai == 31:
            if major in (0, 1, 6):
                raise self.fail("indefinite length is invalid for this major type", pos - 1)
            if self.strict:
                raise self.fail("indefinite-length item (or stray break) is not canonical", pos - 1)
            return major, ai, None, pos
        if ai > 27:
            raise self.fail(f"reserved additional information {ai}", pos - 1)
        size = 1 << (ai - 24)
        end = pos + size
        if end > self.n:
            raise self.fail("truncated argument", pos - 1)
        arg = int.from_bytes(data[pos:end], "big")
        if self.strict and major != 7:
            minimum = 24 if ai == 24 else 1 << (8 * (size // 2))
            if arg < minimum:
                raise self.fail("non-minimal argument encoding", pos - 1)
        return major, ai, arg, end

    def item(self, pos: int, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise self.fail("nesting deeper than the decoder guard", pos)
        self.budget -= 1
        if self.budget < 0:
            raise self.fail("more data items than the decoder's budget", pos)
        start = pos
        major, ai, arg, pos = self.head(pos)
        if major == 0:
            assert arg is not None
            return arg, pos
        if major == 1:
            assert arg is not None
            return -1 - arg, pos
        if major == 2 or major == 3:
            if arg is None:
                return self._indefinite_string(major, pos, start)
            end = pos + arg
            if end > self.n:
                raise self.fail("truncated string", start)
            raw = self.data[pos:end]
            if major == 2:
                return raw, end
            try:
                return raw.decode("utf-8"), end
            except UnicodeDecodeError:
                raise self.fail("text string is not valid UTF-8", start) from None
        if major == 4:
            return self._array(arg, pos, depth)
        if major == 5:
            return self._map(arg, pos, depth, start)
        if major == 6:
            if self.strict:
                raise self.fail("tags are not allowed", start)
            assert arg is not None
            inner, pos = self.item(pos, depth + 1)
            return Tag(arg, inner), pos
        return self._simple(ai, arg, pos, start)

    def _indefinite_string(self, major: int, pos: int, start: int) -> tuple[Any, int]:
        parts: list[bytes] = []
        while True:
            if pos >= self.n:
                raise self.fail("truncated indefinite string", start)
            if self.data[pos] == 0xFF:
                pos += 1
                break
            cmajor, _cai, carg, cpos = self.head(pos)
            if cmajor != major or carg is None:
                raise self.fail("bad chunk in indefinite-length string", pos)
            end = cpos + carg
            if end > self.n:
                raise self.fail("truncated string chunk", pos)
            parts.append(self.data[cpos:end])
            pos = end
        raw = b"".join(parts)
        if major == 2:
            return raw, pos
        try:
            return raw.decode("utf-8"), pos
        except UnicodeDecodeError:
            raise self.fail("text string is not valid UTF-8", start) from None

    def _array(self, count: int | None, pos: int, depth: int) -> tuple[list[Any], int]:
        data = self.data
        items: list[Any] = []
        append = items.append
        if count is None:
            while True:
                if pos >= self.n:
                    raise self.fail("truncated indefinite array", pos)
                if data[pos] == 0xFF:
                    return items, pos + 1
                value, pos = self.item(pos, depth + 1)
                append(value)
        if count > self.n - pos:
            raise self.fail("array longer than the input", pos)
        self.spend(0, pos)
        for _ in range(count):
            # Fast path for 32-byte byte strings (leaves, digests): 0x58 0x20.
            if data[pos : pos + 2] == b"\x58\x20" and pos + 34 <= self.n:
                self.budget -= 1
                if self.budget < 0:
                    raise self.fail("more data items than the decoder's budget", pos)
                append(data[pos + 2 : pos + 34])
                pos += 34
                continue
            value, pos = self.item(pos, depth + 1)
            append(value)
        return items, pos

    def _map(self, count: int | None, pos: int, depth: int, start: int) -> tuple[CborMap, int]:
        data = self.data
        pairs: list[tuple[Any, Any]] = []
        previous_key: bytes | None = None
        index = 0
        while True:
            if count is None:
                if pos >= self.n:
                    raise self.fail("truncated indefinite map", start)
                if data[pos] == 0xFF:
                    pos += 1
                    break
            elif index >= count:
                break
            key_start = pos
            key, pos = self.item(pos, depth + 1)
            if self.strict:
                key_raw = data[key_start:pos]
                if previous_key is not None and key_raw <= previous_key:
                    what = "duplicate" if key_raw == previous_key else "unsorted"
                    raise self.fail(f"{what} map key", key_start)
                previous_key = key_raw
            if self.pack and depth == 0:
                value, pos = self.packed_or_item(pos, depth + 1)
            else:
                value, pos = self.item(pos, depth + 1)
            pairs.append((key, value))
            index += 1
        return CborMap(pairs), pos

    def _simple(self, ai: int, arg: int | None, pos: int, start: int) -> tuple[Any, int]:
        if ai == 20:
            return False, pos
        if ai == 21:
            return True, pos
        if ai == 22:
            return None, pos
        if self.strict:
            raise self.fail(
                "floats and simple values other than false/true/null are not allowed", start
            )
        if arg is None:
            raise self.fail("unexpected break byte", start)
        if ai < 24:
            return Simple(ai), pos
        if ai == 24:
            if arg < 32:
                raise self.fail("simple value below 32 in two-byte form", start)
            return Simple(arg), pos
        raw = self.data[start + 1 : pos]
        fmt = {25: ">e", 26: ">f", 27: ">d"}[ai]
        return struct.unpack(fmt, raw)[0], pos

    def skip(self, pos: int) -> int:
        """End offset of the well-formed item at ``pos`` (lenient rules), building nothing.

        Iterative over a stack of remaining child counts (``-1`` for indefinite length),
        so its memory is the nesting depth, whatever the item's size; the same
        well-formedness checks as the lenient decoder (UTF-8 text included) apply.
        """
        data, n = self.data, self.n
        stack: list[int] = []
        while True:
            if len(stack) > MAX_DEPTH:
                raise self.fail("nesting deeper than the decoder guard", pos)
            if stack and stack[-1] == -1 and pos < n and data[pos] == 0xFF:
                stack.pop()
                pos += 1
            else:
                start = pos
                major, ai, arg, pos = self.head(pos)
                if major == 2 or major == 3:
                    pos = self._skip_string(major, arg, pos, start)
                elif major == 4 or major == 5:
                    if arg is None:
                        stack.append(-1)
                        continue
                    count = arg * (major - 3)
                    if count > n - pos:
                        raise self.fail("container longer than the input", start)
                    if count:
                        stack.append(count)
                        continue
                elif major == 6:
                    stack.append(1)
                    continue
                elif major == 7:
                    self._simple(ai, arg, pos, start)
            # one item is complete: count it against its parents
            while stack:
                if stack[-1] == -1:
                    break
                stack[-1] -= 1
                if stack[-1]:
                    break
                stack.pop()
            else:
                return pos
            if stack[-1] == -1 and pos >= n:
                raise self.fail("truncated indefinite item", pos)

    def _skip_string(self, major: int, arg: int | None, pos: int, start: int) -> int:
        if arg is None:
            value, end = self._indefinite_string(major, pos, start)
            del value
            return end
        end = pos + arg
        if end > self.n:
            raise self.fail("truncated string", start)
        if major == 3:
            try:
                self.data[pos:end].decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("text string is not valid UTF-8", start) from None
        return end


def _decode(
    data: bytes | bytearray | memoryview, strict: bool, budget: int = MAX_ITEMS, pack: bool = False
) -> Any:
    buf = bytes(data)
    if not buf:
        raise CborError("empty input")
    reader = _Reader(buf, strict, budget, pack)
    try:
        value, end = reader.item(0, 0)
    except RecursionError:
        raise CborError("nesting too deep") from None
    if end != len(buf):
        raise CborError(f"{len(buf) - end} trailing byte(s) after the top-level item", offset=end)
    return value


def decode(
    data: bytes | bytearray | memoryview, *, max_items: int = MAX_ITEMS, pack_digests: bool = False
) -> Any:
    """Strictly decode one canonical CBOR item; any deviation raises :class:`CborError`.

    At most :data:`MAX_DEPTH` levels and ``max_items`` data items (else MALFORMED_CBOR).
    ``pack_digests``: a value of the top-level map that is an array of only 32-byte byte
    strings comes back as a :class:`PackedDigests` over the input instead of a list (same
    acceptance, errors and budget; the leaves-list parser's memory-compact form).
    """
    return _decode(data, True, max_items, pack_digests)


def decode_lenient(data: bytes | bytearray | memoryview, *, max_items: int = MAX_ITEMS) -> Any:
    """Decode any well-formed CBOR item (tags, floats, indefinite lengths, any key order)."""
    return _decode(data, False, max_items)


def item_end(data: bytes, offset: int = 0) -> int:
    """Return the end offset of the well-formed item starting at ``offset`` (lenient rules).

    Walks the item without building it (:meth:`_Reader.skip`): memory is bounded by the
    nesting depth, never by the item's size or count of children.
    """
    return _Reader(data, False).skip(offset)


def skip_tag(data: bytes, offset: int = 0) -> tuple[int | None, int]:
    """If a tag starts at ``offset`` return (tag number, offset of its content), else (None, offset)."""
    reader = _Reader(data, False)
    major, _ai, arg, pos = reader.head(offset)
    if major == 6:
        return arg, pos
    return None, offset


def array_spans(data: bytes, offset: int = 0) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of each element of the array at ``offset`` (definite or indefinite)."""
    reader = _Reader(data, False)
    major, _ai, count, pos = reader.head(offset)
    if major != 4:
        raise CborError("expected an array", offset=offset)
    spans: list[tuple[int, int]] = []
    index = 0
    while True:
        if count is None:
            if pos >= len(data):
                raise CborError("truncated indefinite array", offset=offset)
            if data[pos] == 0xFF:
                break
        elif index >= count:
            break
        end = item_end(data, pos)
        spans.append((pos, end))
        pos = end
        index += 1
    return spans


def map_spans(data: bytes, offset: int = 0) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``((key_start, key_end), (value_start, value_end))`` of each entry of the map at ``offset``."""
    reader = _Reader(data, False)
    major, _ai, count, pos = reader.head(offset)
    if major != 5:
        raise CborError("expected a map", offset=offset)
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    index = 0
    while True:
        if count is None:
            if pos >= len(data):
                raise CborError("truncated indefinite map", offset=offset)
            if data[pos] == 0xFF:
                break
        elif index >= count:
            break
        key_end = item_end(data, pos)
        value_end = item_end(data, key_end)
        spans.append(((pos, key_end), (key_end, value_end)))
        pos = value_end
        index += 1
    return spans
