"""Every devnet response validates against Blockfrost's published JSON schema.

The schema is read at test time from the shared Blockfrost folder (fixture
``blockfrost_schema``); it is OpenAPI 3.0 flavoured, so ``nullable: true`` is turned
into a JSON-Schema ``null`` alternative before validating.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from anchor.devnet import RunningDevnet
from anchor.label309.cbor import encode
from tests.unit.devnet.txkit import ADA, Wallet, get, pay, submit


def _nullable(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable(v) for k, v in schema.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@pytest.fixture(scope="module")
def schemas(blockfrost_schema: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((blockfrost_schema / "json-schema.json").read_text())
    return doc


def _check(schemas: dict[str, Any], endpoint: str, status: int, body: Any) -> None:
    schema = _nullable(schemas[endpoint]["response"][str(status)])
    jsonschema.Draft7Validator(schema).validate(body)


@pytest.fixture
def chain(net: RunningDevnet, alice: Wallet, bob: Wallet) -> dict[str, str]:
    aux = encode({309: {"v": 1, "root": b"\x01" * 32}})
    tx_hash = submit(net, pay(net, alice, bob, 5 * ADA, aux=aux)).json()
    net.cut_block()  # the transaction sits in the latest block
    return {
        "tx": tx_hash,
        "block": get(net, f"/txs/{tx_hash}").json()["block"],
        "address": bob.bech32,
    }


CASES = [
    ("/", "/"),
    ("/health", "/health"),
    ("/health/clock", "/health/clock"),
    ("/genesis", "/genesis"),
    ("/epochs/latest", "/epochs/latest"),
    ("/epochs/latest/parameters", "/epochs/latest/parameters"),
    ("/blocks/latest", "/blocks/latest"),
    ("/blocks/latest/txs", "/blocks/latest/txs"),
    ("/blocks/{hash_or_number}", "/blocks/{block}"),
    ("/blocks/{hash_or_number}", "/blocks/0"),
    ("/blocks/{hash_or_number}/txs", "/blocks/{block}/txs"),
    ("/addresses/{address}/utxos", "/addresses/{address}/utxos"),
    ("/txs/{hash}", "/txs/{tx}"),
    ("/txs/{hash}/utxos", "/txs/{tx}/utxos"),
    ("/txs/{hash}/cbor", "/txs/{tx}/cbor"),
    ("/txs/{hash}/metadata", "/txs/{tx}/metadata"),
    ("/txs/{hash}/metadata/cbor", "/txs/{tx}/metadata/cbor"),
]


@pytest.mark.parametrize(("endpoint", "path"), CASES, ids=[c[1] for c in CASES])
def test_success_responses_match_the_schema(
    net: RunningDevnet,
    chain: dict[str, str],
    schemas: dict[str, Any],
    endpoint: str,
    path: str,
) -> None:
    response = get(net, path.format(**chain))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body not in ([], {}), "an empty answer would validate vacuously"
    _check(schemas, endpoint, 200, body)


ERRORS = [
    ("/txs/{hash}", "/txs/" + "ee" * 32, 404),
    ("/txs/{hash}", "/txs/zz", 400),
    ("/txs/{hash}/cbor", "/txs/" + "ee" * 32 + "/cbor", 404),
    ("/txs/{hash}/metadata", "/txs/" + "ee" * 32 + "/metadata", 404),
    ("/blocks/{hash_or_number}", "/blocks/12345", 404),
    ("/addresses/{address}/utxos", "/addresses/nonsense/utxos", 400),
    ("/epochs/latest", "/epochs/latest?x=1", 200),
]


@pytest.mark.parametrize(("endpoint", "path", "status"), ERRORS, ids=[e[1] for e in ERRORS])
def test_error_responses_match_the_schema(
    net: RunningDevnet, schemas: dict[str, Any], endpoint: str, path: str, status: int
) -> None:
    response = get(net, path)
    assert response.status_code == status
    _check(schemas, endpoint, status, response.json())


def test_submit_responses_match_the_schema(
    net: RunningDevnet, schemas: dict[str, Any], alice: Wallet, bob: Wallet
) -> None:
    accepted = submit(net, pay(net, alice, bob, 5 * ADA))
    assert accepted.status_code == 200
    _check(schemas, "/tx/submit", 200, accepted.json())
    refused = submit(net, pay(net, alice, bob, 6 * ADA))  # same input again
    assert refused.status_code == 400
    _check(schemas, "/tx/submit", 400, refused.json())


def test_the_schema_check_can_fail(schemas: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        _check(schemas, "/blocks/latest", 200, {"time": 1})
    with pytest.raises(jsonschema.ValidationError):
        _check(schemas, "/tx/submit", 200, "abc")
