"""Fuzzing the byte-facing primitives: they return or raise only typed Label 309 errors.

Targets: strict and lenient CBOR decode, chunk reassembly, auxiliary-data unwrap,
transaction splitting and seed-string parsing. Inputs are random bytes/text,
mutations of the standard's vector bytes, and mutated encodings of random CBOR
values. Beyond "no foreign exception", each success is checked for a property
(strict decode round-trips byte for byte, spans are slices of the input, a parsed
seed is 32 bytes).

The suite runs a few hundred derandomised examples per target. The ``fuzz_long``
variant (``make fuzz``) runs a seeded mutation loop of 300,000 inputs in total and
prints the exact count.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.label309.carriage import label309_value, metadata_map_bytes, reassemble, unwrap_aux_data
from anchor.label309.keys import encode_seed_string, parse_seed_string
from anchor.label309.txbind import split_tx
from tests.conformance._primitive_vectors import load_doc

SUITE = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LONG_PER_TARGET = 50_000

# --------------------------------------------------------------------------- corpus

_BODY = bytes.fromhex("a2617601656974656d7381a166686173686573a168736861322d3235365820" + "11" * 32)
_META = metadata_map_bytes(_BODY)
_AUX_FORMS = [_META, b"\x82" + _META + b"\x80", bytes.fromhex("d90103a100") + _META]
_TX_BODY = bytes.fromhex("a400d9010281825820" + "00" * 32 + "000180021a00029810075820") + bytes(32)


def _vector_bytes() -> list[bytes]:
    """Byte strings from the standard's vectors (CBOR, carriage, tx) when the data is present."""
    found: list[bytes] = []
    fields = {
        "cbor/canonical-decode-negative.json": ["cbor_hex"],
        "cbor/canonical-encode-rfc8949-kat.json": ["expected_cbor_hex"],
        "cbor/canonical-encode-roundtrip.json": ["expected_cbor_hex"],
        "carriage/aux-data-envelope-forms.json": ["auxiliary_data_cbor_hex"],
        "carriage/chunk-array-positive.json": ["label_309_value_cbor_hex"],
        "carriage/chunk-array-negative.json": ["label_309_value_cbor_hex"],
        "cardano/tx-binding.json": ["transaction_body_cbor_hex", "auxiliary_data_cbor_hex"],
    }
    for rel, keys in fields.items():
        doc = load_doc(rel)
        for vector in [] if doc is None else doc["vectors"]:
            found.extend(bytes.fromhex(vector[k]) for k in keys)
    return found


BYTE_SEEDS: list[bytes] = [
    _BODY,
    label309_value(_BODY),
    label309_value(bytes(range(200))),
    *_AUX_FORMS,
    b"\x84" + _TX_BODY + b"\xa0\xf5" + _AUX_FORMS[2],
    b"\x83" + _TX_BODY + b"\xa0\xf6",
    *_vector_bytes(),
]
TEXT_SEEDS: list[str] = [
    encode_seed_string(bytes(32)),
    encode_seed_string(bytes(range(32))).lower(),
    "0x" + "ab" * 32,
    "age1c5nucqtq8scv8pccm69lhjn275rrdy7pf6a4mnzzk0mn3807v4rs854kww",
]

# --------------------------------------------------------------------------- targets


def _check_decode(data: bytes) -> None:
    value = cbor.decode(data)
    assert cbor.encode(value) == data  # strict acceptance means canonical bytes
    assert cbor.encode(cbor.decode_lenient(data)) == data


def _check_lenient(data: bytes) -> None:
    cbor.decode_lenient(data)
    assert cbor.item_end(data, 0) == len(data)


def _check_reassemble(data: bytes) -> None:
    assert len(reassemble(data)) < max(len(data), 1)


def _check_unwrap(data: bytes) -> None:
    assert unwrap_aux_data(data) in data


def _check_split(data: bytes) -> None:
    parts = split_tx(data)
    assert parts.body in data
    assert parts.aux is None or parts.aux in data


def _check_seed(text: str) -> None:
    assert len(parse_seed_string(text)) == 32


BYTE_TARGETS: dict[str, Callable[[bytes], None]] = {
    "decode": _check_decode,
    "decode_lenient": _check_lenient,
    "reassemble": _check_reassemble,
    "unwrap_aux_data": _check_unwrap,
    "split_tx": _check_split,
}


def _run(check: Callable[[Any], None], data: Any) -> bool:
    """Run one input; True on success, False on a typed Label 309 error. Anything else fails."""
    try:
        check(data)
    except Label309Error:
        return False
    return True


# --------------------------------------------------------------------------- strategies


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[pos % len(buf)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf.insert(pos, rng.randrange(256))
        elif op == 2 and buf:
            del buf[pos : pos + rng.randint(1, 4)]
        elif op == 3:
            del buf[pos:]
        elif op == 4 and buf:
            buf[pos % len(buf)] = rng.choice((0x18, 0x19, 0x1F, 0x5F, 0x9F, 0xBF, 0xD9, 0xF7, 0xFF))
        else:
            start = rng.randrange(len(buf) + 1)
            buf[pos:pos] = buf[start : start + rng.randint(1, 8)]
    return bytes(buf)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    """A random CBOR data-model value (for the long run's structured inputs)."""
    kind = rng.randrange(8 if depth < 3 else 6)
    if kind == 0:
        return rng.randint(-(2**64), 2**64 - 1) if rng.random() < 0.2 else rng.randint(-300, 300)
    if kind == 1:
        return rng.randbytes(rng.choice((0, 1, 23, 24, 32, 64, 65, 300)))
    if kind == 2:
        return "".join(rng.choice("av\u00e9\u20ac\U0001f600-") for _ in range(rng.randrange(30)))
    if kind == 3:
        return rng.choice((True, False))
    if kind in (4, 5):
        return None if kind == 4 else rng.randrange(24)
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(6))]
    pairs = {}
    for _ in range(rng.randrange(5)):
        pairs[rng.choice((rng.randrange(400), rng.randbytes(2), "k" * rng.randrange(4)))] = (
            _random_value(rng, depth + 1)
        )
    return pairs


_leaf = (
    st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=80)
    | st.text(max_size=20)
    | st.booleans()
    | st.none()
)
cbor_values = st.recursive(
    _leaf,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(_leaf, kids, max_size=4),
    max_leaves=20,
)


@st.composite
def byte_inputs(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=300))
    if kind == 1:
        base = draw(st.sampled_from(BYTE_SEEDS))
    else:
        base = cbor.encode(draw(cbor_values))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return base if draw(st.booleans()) and kind == 2 else _mutate(rng, base)


@st.composite
def text_inputs(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=90))
    base = draw(st.sampled_from(TEXT_SEEDS))
    chars = list(base)
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(chars)))
        new = draw(st.sampled_from("qpzry9x8gf2tvdw0s3jn54khce6mua7lQPL1-b0 \t\u00e9"))
        if draw(st.booleans()) and chars:
            chars[pos % len(chars)] = new
        elif draw(st.booleans()):
            del chars[pos:]
        else:
            chars.insert(pos, new)
    return "".join(chars)


# --------------------------------------------------------------------------- suite


@pytest.mark.parametrize("target", sorted(BYTE_TARGETS))
@SUITE
@given(data=byte_inputs())
def test_byte_targets_raise_only_typed_errors(target: str, data: bytes) -> None:
    _run(BYTE_TARGETS[target], data)


@SUITE
@given(text=text_inputs())
def test_parse_seed_string_raises_only_typed_errors(text: str) -> None:
    _run(_check_seed, text)


def test_seed_corpus_is_meaningful() -> None:
    """The fuzz corpus exercises success paths too, so a target that always fails is noticed."""
    assert _run(_check_decode, _BODY)
    assert _run(_check_reassemble, label309_value(_BODY))
    assert all(_run(_check_unwrap, aux) for aux in _AUX_FORMS)
    assert _run(_check_split, BYTE_SEEDS[6])
    assert all(_run(_check_seed, text) for text in TEXT_SEEDS[:3])


# --------------------------------------------------------------------------- long run


@pytest.mark.fuzz_long
def test_fuzz_long(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    """>= 100,000 seeded inputs over all six targets (run with ``make fuzz``)."""
    if "fuzz_long" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("long fuzz run: use 'make fuzz' (pytest -m fuzz_long)")
    rng = random.Random(309)
    total = 0
    accepted: dict[str, int] = {}
    for name, check in sorted(BYTE_TARGETS.items()):
        ok = 0
        for i in range(LONG_PER_TARGET):
            if i % 4 == 0:
                data = rng.randbytes(rng.randrange(0, 200))
            elif i % 4 == 1:
                data = cbor.encode(_random_value(rng))
                data = data if rng.random() < 0.3 else _mutate(rng, data)
            else:
                data = _mutate(rng, rng.choice(BYTE_SEEDS))
            ok += _run(check, data)
            total += 1
        accepted[name] = ok
    alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7lQPL1-b0 \t\u00e9"
    ok = 0
    for _ in range(LONG_PER_TARGET):
        chars = list(rng.choice(TEXT_SEEDS))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5 or not chars:
                chars.insert(pos, rng.choice(alphabet))
            else:
                del chars[min(pos, len(chars) - 1)]
        ok += _run(_check_seed, "".join(chars))
        total += 1
    accepted["parse_seed_string"] = ok
    with capsys.disabled():
        print(f"\nfuzz_long: {total} inputs, no untyped exception; accepted per target: {accepted}")
    assert total >= 100_000
