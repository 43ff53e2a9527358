"""BLAKE2b-256 for hashing files: the vectorised ``anchor._blake2b`` where it was built,
else :mod:`hashlib` (same digests; docs/adr/0007-native-blake2b.md).

:func:`new` gives a hasher with ``update``/``digest``; :func:`update_many` updates several
hashers at once, each with its own bytes, which the native module does four messages per
instruction (so a thread hashing four files costs little more than one). ``LANES`` is how
many files a thread should hash side by side to get that: 4 with the native module and a
vector CPU, 1 otherwise. Set ``ANCHOR_NATIVE_BLAKE2B=0`` to use hashlib regardless (to
compare, or to rule the extension out).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Final, Protocol, cast


class Hasher(Protocol):
    """What :func:`new` returns (``hashlib.blake2b`` or ``anchor._blake2b.blake2b_256``)."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


Buffer = bytes | bytearray | memoryview


def _hashlib_new() -> Hasher:
    return hashlib.blake2b(digest_size=32)


def _update_each(hashers: Sequence[Hasher], buffers: Sequence[Buffer]) -> None:
    for hasher, data in zip(hashers, buffers, strict=True):
        hasher.update(data)


UpdateMany = Callable[[Sequence[Hasher], Sequence[Buffer]], None]


def _load() -> tuple[str, Callable[[], Hasher], UpdateMany]:
    if os.environ.get("ANCHOR_NATIVE_BLAKE2B", "1") == "0":
        return "hashlib", _hashlib_new, _update_each
    try:
        from anchor import _blake2b
    except ImportError:  # not compiled here: hashlib gives the same digests
        return "hashlib", _hashlib_new, _update_each
    implementation = _blake2b.implementation()
    if implementation == "portable":  # no vector unit: hashlib's C is as fast
        return "hashlib", _hashlib_new, _update_each
    # The native update_many takes only its own hashers, which is all new() makes then.
    return f"native-{implementation}", _blake2b.blake2b_256, cast(UpdateMany, _blake2b.update_many)


IMPLEMENTATION, new, update_many = _load()
"""``native-avx512``, ``native-avx2`` or ``hashlib``; the hasher factory; the many-update."""

LANES: Final = 1 if IMPLEMENTATION == "hashlib" else 4
