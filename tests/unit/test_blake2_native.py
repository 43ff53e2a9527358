"""anchor._blake2b (the vectorised BLAKE2b-256) against hashlib, on every compression the
CPU has; anchor.blake2 (the choice between it and hashlib)."""

from __future__ import annotations

import hashlib
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from anchor import blake2

try:
    from anchor import _blake2b
except ImportError:  # pragma: no cover - only where the extension could not be compiled
    _blake2b = None  # type: ignore[assignment]

needs_native = pytest.mark.skipif(_blake2b is None, reason="anchor._blake2b is not built here")


def _ref(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def native_implementations() -> list[str]:
    """Every compression the native module can run on this CPU (none if it is not built)."""
    if _blake2b is None:
        return []
    try:
        return [n for n in ("portable", "avx2", "avx512") if _blake2b.select(n) == n]
    finally:
        _blake2b.select(None)


@pytest.fixture(params=native_implementations() or ["none"])
def impl(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "none":
        pytest.skip("anchor._blake2b is not built here")
    assert _blake2b is not None
    assert _blake2b.select(request.param) == request.param
    yield request.param
    _blake2b.select(None)


def test_native_module_is_built_where_it_can_be() -> None:
    """On x86-64 Linux with a C compiler, `make install` must have built the extension and
    picked vector code; a silent fallback to hashlib would only show as a slow benchmark."""
    if not (
        sys.platform == "linux"
        and platform.machine() in ("x86_64", "AMD64")
        and shutil.which("gcc")
    ):
        pytest.skip("the extension is optional off x86-64 Linux with gcc")
    if os.environ.get("ANCHOR_NATIVE_BLAKE2B") == "0":
        pytest.skip("ANCHOR_NATIVE_BLAKE2B=0 selects hashlib for this run")
    assert _blake2b is not None, "anchor._blake2b was not compiled by the install"
    if not _cpu_has_avx2():
        assert (_blake2b.implementation(), blake2.IMPLEMENTATION) == ("portable", "hashlib")
        return
    assert _blake2b.implementation() in ("avx2", "avx512")
    assert f"native-{_blake2b.implementation()}" == blake2.IMPLEMENTATION
    assert blake2.LANES == 4


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return " avx2" in f.read()
    except OSError:
        return False


@needs_native
def test_every_length_up_to_eight_blocks(impl: str) -> None:
    data = hashlib.shake_256(b"lengths").digest(1100)
    for n in range(len(data) + 1):
        assert _blake2b.blake2b_256(data[:n]).digest() == _ref(data[:n]), (impl, n)


@needs_native
def test_random_splits_of_a_large_input(impl: str) -> None:
    rnd = random.Random(309)
    data = os.urandom(3_000_003)
    for _ in range(12):
        hasher = _blake2b.blake2b_256()
        at = 0
        while at < len(data):
            step = rnd.choice([0, 1, 127, 128, 129, 2047, 2048, 65536, rnd.randint(0, 400_000)])
            hasher.update(memoryview(data)[at : at + step])
            at += step
        assert hasher.digest() == _ref(data)


@needs_native
def test_update_many_equals_one_update_each(impl: str) -> None:
    rnd = random.Random(7)
    pool = os.urandom(1 << 20)
    for _ in range(200):
        width = rnd.randint(1, 9)
        ours = [_blake2b.blake2b_256() for _ in range(width)]
        refs = [hashlib.blake2b(digest_size=32) for _ in range(width)]
        for _ in range(rnd.randint(1, 5)):
            chunks = []
            for _ in range(width):
                size = rnd.choice([0, 1, 127, 128, 129, 256, rnd.randint(0, 9000), 70_000])
                at = rnd.randint(0, len(pool) - size)
                chunks.append(memoryview(pool)[at : at + size])
            if rnd.random() < 0.25:
                for hasher, chunk in zip(ours, chunks, strict=True):
                    hasher.update(chunk)
            else:
                _blake2b.update_many(ours, chunks)
            for ref, chunk in zip(refs, chunks, strict=True):
                ref.update(chunk)
        assert [h.digest() for h in ours] == [r.digest() for r in refs]


@needs_native
def test_digest_copy_and_hexdigest_leave_the_state_alone(impl: str) -> None:
    hasher = _blake2b.blake2b_256(b"abc")
    assert hasher.hexdigest() == (
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
    )
    fork = hasher.copy()
    hasher.update(b"def")
    assert fork.digest() == _ref(b"abc")
    assert hasher.digest() == _ref(b"abcdef")
    assert (hasher.digest_size, hasher.block_size, hasher.name) == (32, 128, "blake2b")


@needs_native
def test_bad_arguments_are_type_and_value_errors() -> None:
    hasher = _blake2b.blake2b_256()
    with pytest.raises(TypeError, match="Strings must be encoded"):
        hasher.update("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hasher.update(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one buffer per hasher"):
        _blake2b.update_many([hasher], [b"a", b"b"])
    with pytest.raises(ValueError, match="the same hasher twice"):
        _blake2b.update_many([hasher, hasher], [b"a", b"b"])
    with pytest.raises(TypeError, match="hashers must be"):
        _blake2b.update_many([hashlib.blake2b(digest_size=32)], [b"a"])  # type: ignore[list-item]
    many = [_blake2b.blake2b_256() for _ in range(65)]
    with pytest.raises(ValueError, match="at most 64"):
        _blake2b.update_many(many, [b"x"] * 65)
    with pytest.raises(ValueError, match="unknown implementation"):
        _blake2b.select("sse9")
    # A failed call changed nothing.
    assert hasher.digest() == _ref(b"")


@needs_native
def test_threads_sharing_one_hasher_serialise_their_updates() -> None:
    chunk = os.urandom(100_000)
    hasher = _blake2b.blake2b_256()

    def feed() -> None:
        for _ in range(40):
            hasher.update(chunk)

    threads = [threading.Thread(target=feed) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hasher.digest() == _ref(chunk * 120)


def test_environment_switch_selects_hashlib() -> None:
    code = "from anchor import blake2; print(blake2.IMPLEMENTATION, blake2.LANES)"
    env = dict(os.environ, ANCHOR_NATIVE_BLAKE2B="0")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["hashlib", "1"]
    hasher = blake2.new()
    hasher.update(b"abc")
    assert hasher.digest() == _ref(b"abc")
