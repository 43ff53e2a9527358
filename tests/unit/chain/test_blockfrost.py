"""BlockfrostProvider over blockfrost-python against a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anchor.chain.blockfrost import BlockfrostProvider, redact_url
from anchor.chain.network import Network
from anchor.chain.providers import (
    ProtocolParams,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    RetryPolicy,
    SubmitOutcomeUnknown,
    Tip,
    Utxo,
)
from anchor.errors import EXIT_ENVIRONMENT, InputError
from tests.unit.chain.stub_http import Reply, StubServer, serve

ADDR = "addr_test1vr0u7p4frmghfauaa5s8x30k0r945wth0k66q2gf9wwvn8ghkrkv8"
TX = "ab" * 32
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_total=5.0)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    s = StubServer()
    server = serve(s)
    yield s
    server.shutdown()
    server.server_close()


def provider(stub: StubServer, **kw: object) -> BlockfrostProvider:
    return BlockfrostProvider(stub.url, retry=kw.pop("retry", FAST), **kw)  # type: ignore[arg-type]


def test_protocol_params_from_blockfrost_shapes(stub: StubServer) -> None:
    stub.script(
        "GET",
        "/epochs/latest/parameters",
        Reply(
            200,
            {
                "min_fee_a": 44,
                "min_fee_b": 155381,
                "max_tx_size": 16384,
                "coins_per_utxo_size": "4310",
                "max_val_size": "5000",
                "key_deposit": "2000000",
                "pool_deposit": "500000000",
                "protocol_major_ver": 10,
                "protocol_minor_ver": 0,
            },
        ),
    )
    assert provider(stub).protocol_params() == ProtocolParams(
        min_fee_a=44, min_fee_b=155381, max_tx_size=16384, coins_per_utxo_byte=4310
    )


def test_utxos_parse_amounts_datums_and_script_refs(stub: StubServer) -> None:
    stub.script(
        "GET",
        f"/addresses/{ADDR}/utxos",
        Reply(
            200,
            [
                {
                    "tx_hash": TX.upper(),
                    "output_index": 1,
                    "address": ADDR,
                    "amount": [{"unit": "lovelace", "quantity": "5000000"}],
                },
                {
                    "tx_hash": TX,
                    "output_index": 2,
                    "address": ADDR,
                    "amount": [
                        {"unit": "lovelace", "quantity": "2000000"},
                        {"unit": "aa" * 28 + "01", "quantity": "7"},
                    ],
                    "inline_datum": "d87980",
                    "reference_script_hash": None,
                },
                {
                    "tx_hash": TX,
                    "output_index": 3,
                    "address": ADDR,
                    "amount": [{"unit": "lovelace", "quantity": "1500000"}],
                    "reference_script_hash": "cd" * 28,
                },
            ],
        ),
    )
    got = provider(stub).utxos(ADDR)
    assert got == [
        Utxo(TX, 1, ADDR, 5_000_000),
        Utxo(TX, 2, ADDR, 2_000_000, assets=(("aa" * 28 + "01", 7),), has_datum=True),
        Utxo(TX, 3, ADDR, 1_500_000, has_script_ref=True),
    ]
    assert [u.plain for u in got] == [True, False, False]


def test_unknown_address_has_no_utxos(stub: StubServer) -> None:
    assert provider(stub).utxos(ADDR) == []  # the stub answers 404 like Blockfrost


def test_tip(stub: StubServer) -> None:
    stub.script(
        "GET", "/blocks/latest", Reply(200, {"height": 9, "slot": 40, "hash": "EF" * 32, "time": 7})
    )
    assert provider(stub).tip() == Tip(height=9, slot=40, block_hash="ef" * 32, time=7)


def test_429_and_5xx_are_retried_then_succeed(stub: StubServer) -> None:
    stub.script(
        "GET",
        "/blocks/latest",
        Reply(429, {"status_code": 429, "error": "Too Many Requests", "message": "slow down"}),
        Reply(503, b"<html>upstream down</html>"),
        Reply(200, {"height": 1, "slot": 2, "hash": "00" * 32, "time": 3}),
    )
    assert provider(stub).tip().height == 1
    assert stub.count("GET", "/blocks/latest") == 3


def test_persistent_5xx_gives_a_clear_final_error(stub: StubServer) -> None:
    stub.script(
        "GET", "/blocks/latest", Reply(500, {"status_code": 500, "error": "x", "message": "boom"})
    )
    with pytest.raises(ProviderUnavailable) as info:
        provider(stub).tip()
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert info.value.message == "blockfrost: chain tip failed after 3 attempts: HTTP 500: boom"
    assert stub.count("GET", "/blocks/latest") == 3


def test_unreachable_provider_is_environment_failure() -> None:
    p = BlockfrostProvider(
        "http://127.0.0.1:9/api/v0", retry=RetryPolicy(attempts=2, base_delay=0.0)
    )
    with pytest.raises(
        ProviderUnavailable,
        match=r"failed after 2 attempts: ConnectionError \(http://127.0.0.1:9/api/v0\)",
    ):
        p.protocol_params()


def test_a_hanging_provider_times_out(stub: StubServer) -> None:
    stub.script(
        "GET",
        "/blocks/latest",
        Reply(200, {"height": 1, "slot": 1, "hash": "", "time": 1}, delay=1.0),
    )
    p = BlockfrostProvider(stub.url, retry=RetryPolicy.none(), call_timeout=0.2)
    with pytest.raises(ProviderUnavailable, match=r"no answer within 0\.2 s"):
        p.tip()


def test_submit_posts_cbor_and_returns_the_id(stub: StubServer) -> None:
    stub.script("POST", "/tx/submit", Reply(200, TX.upper()))
    assert provider(stub).submit(b"\x84\x01\x02") == TX
    seen = next(s for s in stub.seen if s.path == "/tx/submit")
    assert seen.body == b"\x84\x01\x02"
    assert seen.headers["Content-Type"] == "application/cbor"


def test_submit_400_is_the_ledger_rejection_with_its_reason(stub: StubServer) -> None:
    reason = "BadInputsUTxO: input ab..#0 is not in the UTxO set"
    stub.script(
        "POST",
        "/tx/submit",
        Reply(400, {"status_code": 400, "error": "Bad Request", "message": reason}),
    )
    with pytest.raises(ProviderRejected) as info:
        provider(stub).submit(b"\x84")
    assert info.value.reason == reason
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert info.value.message == f"blockfrost: transaction rejected: {reason}"
    assert stub.count("POST", "/tx/submit") == 1  # never retried


def test_refusal_after_a_lost_attempt_is_outcome_unknown_not_rejected(stub: StubServer) -> None:
    """A 502 whose request may have reached the node, then a ledger refusal on the retry: the
    refusal can be caused by the first attempt itself, so it must never read as 'rejected'."""
    reason = "BadInputsUTxO: input ab..#0 is not in the UTxO set"
    stub.script(
        "POST",
        "/tx/submit",
        Reply(502, {"status_code": 502, "error": "Bad Gateway", "message": "upstream"}),
        Reply(400, {"status_code": 400, "error": "Bad Request", "message": reason}),
    )
    with pytest.raises(SubmitOutcomeUnknown) as info:
        provider(stub).submit(b"\x84")
    assert not isinstance(info.value, ProviderRejected)
    assert info.value.reason == reason
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert "outcome unknown" in info.value.message
    assert stub.count("POST", "/tx/submit") == 2


def test_403_is_refused_without_retry_and_without_the_project_id(stub: StubServer) -> None:
    stub.script(
        "GET",
        "/blocks/latest",
        Reply(403, {"status_code": 403, "error": "Forbidden", "message": "Invalid project token."}),
    )
    with pytest.raises(ProviderRefused) as info:
        provider(stub, project_id="previewSECRETSECRET").tip()
    assert "BLOCKFROST_PROJECT_ID" in info.value.message
    assert "SECRET" not in info.value.message
    assert stub.count("GET", "/blocks/latest") == 1
    assert stub.seen[0].headers["project_id"] == "previewSECRETSECRET"


def test_no_project_id_header_without_one(stub: StubServer) -> None:
    stub.script(
        "GET", "/blocks/latest", Reply(200, {"height": 1, "slot": 1, "hash": "", "time": 1})
    )
    provider(stub).tip()
    assert "project_id" not in stub.seen[0].headers


def test_malformed_answer_is_unavailable(stub: StubServer) -> None:
    stub.script("GET", "/blocks/latest", Reply(200, {"height": "tall"}))
    with pytest.raises(ProviderUnavailable, match="chain tip: unexpected answer"):
        provider(stub).tip()


def test_for_network_requires_a_project_id_for_public_endpoints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BLOCKFROST_PROJECT_ID", raising=False)
    with pytest.raises(InputError, match="BLOCKFROST_PROJECT_ID is not set"):
        BlockfrostProvider.for_network(Network.preprod())
    local = BlockfrostProvider.for_network(
        Network.preprod(), provider_url="http://127.0.0.1:3000/api/v0/"
    )
    assert local.url == "http://127.0.0.1:3000/api/v0"
    monkeypatch.setenv("BLOCKFROST_PROJECT_ID", "preprodX")
    assert BlockfrostProvider.for_network(Network.preprod()).url == Network.preprod().blockfrost_url
    assert BlockfrostProvider.for_network(Network.devnet()).url == "http://127.0.0.1:8090/api/v0"
    with pytest.raises(InputError, match="must be an http"):
        BlockfrostProvider.for_network(Network.devnet(), provider_url="ftp://x")


def test_redact_url_drops_credentials_and_query() -> None:
    assert (
        redact_url("https://user:pw@bf.example:8443/api/v0/?key=1#f")
        == "https://bf.example:8443/api/v0"
    )
