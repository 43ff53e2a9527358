"""Chain readers: raw CBOR only, block facts, tip, and the failure vocabulary."""

from __future__ import annotations

import pytest

from anchor.chain.readers import (
    BlockFacts,
    BlockfrostReader,
    HttpResponse,
    KoiosReader,
    ReaderUnavailable,
    TxUnknown,
    normalize_tx_hash,
)
from tests.unit.verify.fakes import BF, KOIOS, FakeChain

H = "1c" * 32
RAW = bytes.fromhex("84a0a0f5f6")


def _chain(**kw: object) -> FakeChain:
    return FakeChain(txs={H: RAW}, **kw)  # type: ignore[arg-type]


def test_blockfrost_fetches_raw_cbor_from_the_cbor_endpoint() -> None:
    chain = _chain()
    reader = BlockfrostReader(BF, client=chain, project_id="secret-id")
    assert reader.fetch_tx_cbor(H.upper()) == RAW
    assert chain.log == [("GET", f"{BF}/txs/{H}/cbor", "cardano")]


def test_blockfrost_sends_project_id_header_not_in_url() -> None:
    seen: dict[str, str] = {}

    class Capture:
        def request(self, method, url, *, purpose, headers=None, json=None, content=None):  # type: ignore[no-untyped-def]
            seen.update(headers or {})
            assert "secret-id" not in url
            return HttpResponse(200, b'{"cbor":"84a0a0f5f6"}')

    BlockfrostReader(BF, client=Capture(), project_id="secret-id").fetch_tx_cbor(H)
    assert seen["project_id"] == "secret-id"


def test_blockfrost_block_facts_and_tip() -> None:
    reader = BlockfrostReader(BF, client=_chain())
    assert reader.tx_block_facts(H) == BlockFacts(1000, "ab" * 32, 111_542_400, 1_767_225_600, True)
    assert reader.tip_height() == 1099


def test_blockfrost_404_is_unknown_not_authoritative() -> None:
    reader = BlockfrostReader(BF, client=FakeChain())
    with pytest.raises(TxUnknown):
        reader.fetch_tx_cbor(H)
    assert reader.tx_block_facts(H) is None


@pytest.mark.parametrize("mode", ["500", "302", "down"])
def test_blockfrost_errors_redirects_and_transport_failures_are_unavailable(mode: str) -> None:
    reader = BlockfrostReader(BF, client=_chain(behaviour={BF: mode}))
    with pytest.raises(ReaderUnavailable):
        reader.fetch_tx_cbor(H)


def test_blockfrost_non_json_or_missing_cbor_is_unavailable() -> None:
    class Bad:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def request(self, method, url, *, purpose, headers=None, json=None, content=None):  # type: ignore[no-untyped-def]
            return HttpResponse(200, self.body)

    for body in (b"<html>", b'{"cbor": 5}', b'{"cbor": "zz"}', b"[]"):
        with pytest.raises(ReaderUnavailable):
            BlockfrostReader(BF, client=Bad(body)).fetch_tx_cbor(H)


def test_koios_one_request_serves_cbor_and_block_facts() -> None:
    chain = _chain()
    reader = KoiosReader(KOIOS, client=chain)
    assert reader.fetch_tx_cbor(H) == RAW
    assert reader.tx_block_facts(H) == BlockFacts(1000, "ab" * 32, 111_542_400, 1_767_225_600, True)
    assert [entry[:2] for entry in chain.log] == [("POST", f"{KOIOS}/tx_cbor")]
    assert reader.tip_height() == 1099


def test_koios_empty_list_is_unknown() -> None:
    reader = KoiosReader(KOIOS, client=FakeChain())
    with pytest.raises(TxUnknown):
        reader.fetch_tx_cbor(H)
    assert reader.tx_block_facts(H) is None


def test_default_endpoints_per_network() -> None:
    chain = FakeChain()
    assert KoiosReader.for_network("preprod", client=chain).base_url == (
        "https://preprod.koios.rest/api/v1"
    )
    assert KoiosReader.for_network("mainnet", client=chain).base_url == (
        "https://api.koios.rest/api/v1"
    )
    assert BlockfrostReader.for_network("preview", client=chain, project_id="x").base_url == (
        "https://cardano-preview.blockfrost.io/api/v0"
    )
    with pytest.raises(ValueError):
        KoiosReader.for_network("devnet", client=chain)


@pytest.mark.parametrize("bad", ["", "xyz", "ab" * 31, "gg" * 32])
def test_tx_hash_must_be_64_hex(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_tx_hash(bad)


def test_koios_block_facts_are_fresh_when_polled() -> None:
    """One request serves a fetch and the facts that follow it, but polling the facts (as
    publish does while waiting for confirmations) must see the provider's current answer,
    e.g. a rollback into another block, not the first answer forever."""
    chain = _chain()
    reader = KoiosReader(KOIOS, client=chain)
    assert reader.fetch_tx_cbor(H) == RAW
    assert reader.tx_block_facts(H) == BlockFacts(1000, "ab" * 32, 111_542_400, 1_767_225_600, True)
    chain.facts_override[KOIOS] = {"height": 1001, "hash": "cd" * 32}
    assert reader.tx_block_facts(H) == BlockFacts(1001, "cd" * 32, 111_542_400, 1_767_225_600, True)
    assert [entry[:2] for entry in chain.log] == [("POST", f"{KOIOS}/tx_cbor")] * 2
    chain.txs.clear()  # rolled back out of every block
    assert reader.tx_block_facts(H) is None
