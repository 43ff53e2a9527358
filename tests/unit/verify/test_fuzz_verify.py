"""Fuzzing the verifier with byte flips of a genuine, fully checkable anchor.

The subject is one release-shaped anchor built in memory: a signed record
(``items[0]`` = a manifest's hashes, ``merkle[0]`` = a five-leaf tree) carried by a
transaction, verified offline with the whole bundle as out-of-band evidence
(manifest, leaves-list, one file). Unmutated it is ``valid`` with everything checked.

Properties, for any one to three byte flips:

* the verifier returns a :class:`VerifyReport` with one of the four verdicts, never
  raises, and the report's exit code matches the verdict;
* a flip inside the transaction body or the auxiliary data (the bytes the binding
  hashes, which hold the record body, its signature and the chunk array) is never
  ``valid``;
* through entry point B (the record body itself), a ``valid`` verdict on a mutated
  record is possible only where the standard allows it: the signed content is
  unchanged and the altered signature is reported ``SIGNATURE_UNSUPPORTED`` (an alg
  label flipped to an unimplemented one, info, §5.6), never as verified.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.label309.ed25519 import public_key
from anchor.label309.hashes import sha256
from anchor.label309.record import body_without_sigs
from anchor.label309.txbind import split_tx
from anchor.merkle.leaves import encode_leaves_list
from anchor.merkle.tree import root_of
from anchor.verify.chainfacts import Observation
from anchor.verify.files import ProofIndex
from anchor.verify.pipeline import (
    BlockInfo,
    Evidence,
    VerifyConfig,
    verify_record_bytes,
    verify_tx_bytes,
)
from anchor.verify.report import VERDICT_EXIT, VerifyReport
from tests.unit.verify.kit import IDENTITY_SEED, make_tx, release_record

LEAVES = [sha256(b"file %d" % i) for i in range(5)]
MANIFEST = b'{"format":"fuzz","items":[]}'
RECORD = release_record(MANIFEST, root_of(LEAVES), len(LEAVES))
TX_HASH, TX = make_tx(RECORD)
_PARTS = split_tx(TX)
BODY_SPAN = range(1, 1 + len(_PARTS.body))
assert _PARTS.aux is not None
AUX_SPAN = range(len(TX) - len(_PARTS.aux), len(TX))
SIGNED = body_without_sigs(RECORD)
SIGNER = public_key(IDENTITY_SEED).hex()  # kit.sign_body signs with the seed as the key
FACTS = [Observation("fuzz", 100, "ab" * 32, 111_542_400, 1_767_225_600, tip_height=199)]
INFO = BlockInfo(confirmation_depth=100, block_time=1_767_225_600)
CONFIG = VerifyConfig(network="preprod")

SHORT = settings(
    max_examples=500,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def evidence() -> Evidence:
    """The bundle as out-of-band evidence (fresh each run: the proof index is filled in)."""
    return Evidence(
        item_bytes={0: MANIFEST},
        leaves_bytes={0: encode_leaves_list(LEAVES)},
        files=[("file-2", LEAVES[2])],
        proofs=ProofIndex(),
        expect_content=True,
    )


def flips(span: range) -> st.SearchStrategy[list[tuple[int, int]]]:
    """One to three (offset, non-zero xor mask) pairs inside ``span``."""
    pair = st.tuples(st.integers(span.start, span.stop - 1), st.integers(1, 255))
    return st.lists(pair, min_size=1, max_size=3, unique_by=lambda p: p[0])


def apply(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for offset, mask in edits:
        out[offset] ^= mask
    return bytes(out)


def typed(report: object) -> VerifyReport:
    assert isinstance(report, VerifyReport)
    assert report.verdict in VERDICT_EXIT
    assert report.to_json()["exitCode"] == VERDICT_EXIT[report.verdict]
    return report


def test_the_unmutated_anchor_is_fully_checked_and_valid() -> None:
    tx_report = typed(verify_tx_bytes(TX_HASH, TX, FACTS, config=CONFIG, evidence=evidence()))
    record_report = typed(verify_record_bytes(RECORD, INFO, config=CONFIG, evidence=evidence()))
    for report in (tx_report, record_report):
        assert (report.verdict, report.issues) == ("valid", ())
        assert (report.items, report.merkle) == (("checked",), ("checked",))
        assert [(s.ok, s.signer_public_key) for s in report.signatures] == [(True, SIGNER)]
        assert [(f.inclusion_ok, f.leaf_index) for f in report.files] == [(True, 2)]


@SHORT
@given(st.one_of(flips(BODY_SPAN), flips(AUX_SPAN)))
def test_flips_in_hashed_transaction_bytes_are_never_valid(edits: list[tuple[int, int]]) -> None:
    mutated = apply(TX, edits)
    report = typed(verify_tx_bytes(TX_HASH, mutated, FACTS, config=CONFIG, evidence=evidence()))
    assert report.verdict != "valid"


@SHORT
@given(flips(range(len(TX))))
def test_flips_anywhere_give_a_typed_report(edits: list[tuple[int, int]]) -> None:
    mutated = apply(TX, edits)
    report = typed(verify_tx_bytes(TX_HASH, mutated, FACTS, config=CONFIG, evidence=evidence()))
    if report.verdict == "valid":  # only bytes outside the binding: witnesses, is_valid
        hashed = set(BODY_SPAN) | set(AUX_SPAN)
        assert not {offset for offset, _ in edits} & hashed


@SHORT
@given(flips(range(len(RECORD))))
def test_flips_in_the_record_body_never_verify_as_the_signer(
    edits: list[tuple[int, int]],
) -> None:
    mutated = apply(RECORD, edits)
    report = typed(verify_record_bytes(mutated, INFO, config=CONFIG, evidence=evidence()))
    if report.verdict == "valid":
        assert body_without_sigs(mutated) == SIGNED
        assert report.signatures
        assert all(not s.ok and s.code == "SIGNATURE_UNSUPPORTED" for s in report.signatures)
