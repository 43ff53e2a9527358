"""Chain facts (parsing, comparison, depth) and the verdict precedence table."""

from __future__ import annotations

import json

import pytest

from anchor.errors import InputError
from anchor.label309.codes import Issue
from anchor.verify.chainfacts import Observation, combine, parse_chain_facts
from anchor.verify.verdict import decide, make_issue


def test_publish_style_document_with_a_failed_provider() -> None:
    doc = {
        "format": "evidence-anchor/chain-facts-v1",
        "network": "preprod",
        "tx_hash": "aa" * 32,
        "providers": [
            {
                "provider": "blockfrost",
                "fetched_at": "2026-01-01T00:00:00Z",
                "block_height": 10,
                "block_hash": "AB" * 32,
                "slot": 77,
                "block_time": 1000,
                "tip_height": 30,
            },
            {"provider": "koios", "fetched_at": "2026-01-01T00:00:00Z", "error": "timeout"},
        ],
    }
    [obs] = parse_chain_facts(json.dumps(doc).encode())
    assert obs == Observation(
        "blockfrost", 10, "ab" * 32, 77, 1000, tip_height=30, endpoint="(chain facts #0)"
    )
    assert obs.confirmation_depth() == 21


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"5",
        b'{"providers": {"x": 1}}',
        b'{"providers": []}',
        b'[{"block_height": -1, "block_time": 1}]',
        b'[{"block_height": 3}]',
    ],
)
def test_malformed_chain_facts_are_input_errors(data: bytes) -> None:
    with pytest.raises(InputError):
        parse_chain_facts(data, source="facts.json")


def test_flat_and_list_forms_and_explicit_depth() -> None:
    assert (
        parse_chain_facts(b'{"height": 5, "time": 9, "confirmations": 40}')[0].confirmation_depth()
        == 40
    )
    assert (
        len(
            parse_chain_facts(
                b'[{"block_height": 5, "block_time": 9}, {"block_height": 5, "block_time": 9}]'
            )
        )
        == 2
    )


def test_combine_takes_the_most_cautious_depth_and_reports_disagreement() -> None:
    a = Observation("a", 100, "h1", 7, 1000, tip_height=130)
    b = Observation("b", 100, "h1", 7, 1000, tip_height=120)
    agreed = combine([a, b])
    assert (agreed.depth, agreed.agree) == (21, True)
    c = Observation("c", 101, "h2", 7, 1000, tip_height=120)
    split = combine([a, c])
    assert [d["field"] for d in split.disagreements] == ["block_height", "block_hash"]
    assert split.disagreements[0]["values"] == {"a": 100, "c": 101}


def _i(code: str, severity: str | None = None) -> Issue:
    return make_issue(code, "m", severity=severity)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("issues", "files", "floor", "verdict"),
    [
        ([], [], False, "valid"),
        ([_i("TX_NOT_FOUND")], [], False, "unverifiable"),
        ([_i("TX_INTEGRITY_MISMATCH")], [], False, "unverifiable"),
        ([_i("METADATA_NOT_FOUND")], [], False, "failed"),
        ([_i("CHUNK_TOO_LARGE")], [], False, "failed"),
        ([_i("SCHEMA_TYPE_MISMATCH"), _i("INSUFFICIENT_CONFIRMATIONS")], [], False, "failed"),
        ([_i("INSUFFICIENT_CONFIRMATIONS")], [], False, "pending"),
        ([_i("INSUFFICIENT_CONFIRMATIONS"), _i("SIGNATURE_INVALID")], [], False, "pending"),
        ([_i("SIGNATURE_INVALID"), _i("CONTENT_UNAVAILABLE")], [], False, "failed"),
        ([_i("CONTENT_UNAVAILABLE")], [], False, "unverifiable"),
        ([_i("MERKLE_LEAVES_UNAVAILABLE", "warning")], [], False, "valid"),
        ([_i("MERKLE_LEAVES_UNAVAILABLE", "error")], [], False, "unverifiable"),
        ([_i("MERKLE_UNSUPPORTED")], [], False, "valid"),
        ([_i("MERKLE_UNSUPPORTED", "error")], [], False, "failed"),
        ([_i("SIGNATURE_UNSUPPORTED")], [], False, "valid"),
        ([_i("SERVICE_INDEPENDENCE_VIOLATION")], [], False, "failed"),
        ([_i("PROVIDER_UNAVAILABLE"), _i("SCHEMA_INVALID_LITERAL")], [], False, "failed"),
        ([_i("PROVIDER_UNAVAILABLE"), _i("METADATA_NOT_FOUND")], [], False, "failed"),
        ([_i("URI_TARGET_FORBIDDEN")], [], False, "unverifiable"),
        ([], ["FILE_NOT_IN_TREE"], False, "failed"),
        ([], ["INCLUSION_PROOF_INVALID", "FILE_PROOF_UNAVAILABLE"], False, "failed"),
        ([], ["FILE_PROOF_UNAVAILABLE"], False, "unverifiable"),
        ([], ["NOT_CHECKED", None], False, "valid"),
        ([], [], True, "unverifiable"),
    ],
)
def test_verdict_precedence(
    issues: list[Issue], files: list[str | None], floor: bool, verdict: str
) -> None:
    assert decide(issues, file_codes=files, floor_unmet=floor) == verdict


def test_docs_name_every_file_code() -> None:
    from anchor.verify import verdict as v
    from tests.conftest import REPO

    adr = (REPO / "docs" / "adr" / "0005-verify-bundle-codes.md").read_text()
    for code in (
        v.FILE_NOT_IN_TREE,
        v.FILE_DIGEST_MISMATCH,
        v.INCLUSION_PROOF_INVALID,
        v.FILE_PROOF_UNAVAILABLE,
        v.FILE_NOT_CHECKED,
    ):
        assert code in adr
