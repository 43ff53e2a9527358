"""Fuzzing the structural validator: whatever the bytes, ``validate_record`` returns a
``ValidateOk`` or ``ValidateFail`` whose issues obey the contract, and never raises.

Three input families: random bytes; mutated vector bodies (byte flips, truncations,
splices, insertions, deletions); and random record-shaped CBOR values, canonically
encoded, which get past the decoder and exercise the walker. The short run (a few hundred
deterministic examples per family) is part of the suite; ``make fuzz`` runs the long one
(>= 100,000 inputs, marker ``fuzz_long``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.codes import REGISTRY_INDEX, issue_sort_key
from anchor.label309.validate import ValidateFail, ValidateOk, validate_record
from tests.conftest import l309_data_dir
from tests.unit.label309._records import passphrase_enc, record, x25519_enc

CORPUS_FILES = (
    "validator/validator-negative.json",
    "validator/validator-positive.json",
    "validator/enc-unsupported-roles.json",
)


def _corpus() -> list[bytes]:
    bodies = [
        cbor.encode(record()),
        cbor.encode(record(items=[{"hashes": {"sha2-256": b"\x01" * 32}, "enc": x25519_enc()}])),
        cbor.encode(
            record(items=[{"hashes": {"blake2b-256": b"\x02" * 32}, "enc": passphrase_enc()}])
        ),
    ]
    root = l309_data_dir()
    if root is not None:
        for rel in CORPUS_FILES:
            doc = json.loads((root / "conformance" / rel).read_text(encoding="utf-8"))
            bodies += [bytes.fromhex(v["cbor_hex"]) for v in doc["vectors"]]
    return bodies


CORPUS = _corpus()
KEYS = ["v", "items", "merkle", "supersedes", "sigs", "crit", "x-note", "acme-x", "X", "hashes",
        "uris", "enc", "alg", "root", "leaf_count", "cose_sign1", "cose_key", "sha2-256",
        "blake2b-256", "md5", "scheme", "aead", "kem", "nonce", "slots", "slots_mac",
        "passphrase", "salt", "params", "m", "t", "p", "epk", "kem_ct", "wrap"]  # fmt: skip
TEXTS = ["rfc9162-sha256", "chacha20-poly1305-stream64k", "x25519", "mlkem768x25519", "argon2id",
         "aes-256-cbc", "aes-256-gcm", "x-note", "ar://" + "a" * 43,
         "ipfs://QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH/f",
         "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "https://x"]  # fmt: skip
LENGTHS = [0, 1, 12, 15, 16, 24, 28, 29, 31, 32, 33, 47, 48, 64, 65]

scalars = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.sampled_from([0, 1, 2, 3, 8, 65536, 2**32 - 1, 2**32, -8, -7, -19]),
    st.sampled_from(LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    st.sampled_from(TEXTS + KEYS),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), scalars), inner, max_size=6),
    ),
    max_leaves=16,
)
structured = st.dictionaries(st.sampled_from(KEYS), values, max_size=7).map(
    lambda d: cbor.encode({"v": 1, **d})
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "splice", "insert", "delete", "byte"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            other = draw(st.sampled_from(CORPUS))
            data = data[:pos] + other[draw(st.integers(0, len(other))) :]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
    return bytes(data)


def _decodable() -> list[Any]:
    out = []
    for body in CORPUS:
        try:
            out.append(cbor.decode(body))
        except cbor.CborError:
            continue
    return out


DECODED = _decodable()


def _edit(draw: st.DrawFn, node: Any, depth: int) -> Any:
    nested = isinstance(node, list | CborMap) and depth < 6
    op = draw(
        st.sampled_from(
            ["replace", "descend", "descend", "delete", "add"] if nested else ["replace"]
        )
    )
    if op == "replace":
        return draw(values)
    if isinstance(node, list):
        if not node:
            return [draw(values)]
        i = draw(st.integers(0, len(node) - 1))
        new = list(node)
        if op == "descend":
            new[i] = _edit(draw, node[i], depth + 1)
        elif op == "delete":
            del new[i]
        else:
            new.insert(i, draw(values))
        return new
    pairs = list(node.items())
    if not pairs:
        return CborMap([(draw(st.sampled_from(KEYS)), draw(values))])
    i = draw(st.integers(0, len(pairs) - 1))
    if op == "descend":
        pairs[i] = (pairs[i][0], _edit(draw, pairs[i][1], depth + 1))
    elif op == "delete":
        del pairs[i]
    else:
        key = draw(st.sampled_from(KEYS))
        pairs = [p for p in pairs if p[0] != key] + [(key, draw(values))]
    return CborMap(pairs)


@st.composite
def perturbed(draw: st.DrawFn) -> bytes:
    """A decodable corpus record with one to three nested edits, re-encoded canonically."""
    value = draw(st.sampled_from(DECODED))
    for _ in range(draw(st.integers(1, 3))):
        value = _edit(draw, value, 0)
    return cbor.encode(value)


inputs = st.one_of(st.binary(max_size=600), mutated(), structured, perturbed())


def check(body: bytes) -> None:
    """The validator's contract on one input."""
    result = validate_record(body)
    assert isinstance(result, ValidateOk | ValidateFail)
    found = result.issues
    assert list(found) == sorted(found, key=issue_sort_key)
    for issue in found:
        assert issue.code in REGISTRY_INDEX
        assert issue.severity in ("error", "warning", "info")
        assert all(isinstance(s, str | int) and not isinstance(s, bool) for s in issue.path)
    has_error = any(i.severity == "error" for i in found)
    assert result.valid is (not has_error)
    if isinstance(result, ValidateOk):
        assert result.record.encode() == body  # the model is lossless for valid records


SHORT = settings(
    max_examples=250,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SHORT
@given(st.binary(max_size=600))
def test_random_bytes(body: bytes) -> None:
    check(body)


@SHORT
@given(mutated())
def test_mutated_vectors(body: bytes) -> None:
    check(body)


@SHORT
@given(structured)
def test_structured_records(body: bytes) -> None:
    check(body)


@SHORT
@given(perturbed())
def test_perturbed_records(body: bytes) -> None:
    check(body)


LONG_EXAMPLES = 100_000


@pytest.mark.fuzz_long
def test_fuzz_long(request: pytest.FixtureRequest) -> None:
    if "fuzz_long" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("long fuzz run: `make fuzz` (pytest -m fuzz_long)")
    count = {"n": 0}

    @settings(
        max_examples=LONG_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def run(body: bytes) -> None:
        count["n"] += 1
        check(body)

    run()
    print(f"\nfuzz_long: {count['n']} inputs validated without an exception")
    assert count["n"] >= LONG_EXAMPLES
