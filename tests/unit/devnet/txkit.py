"""Build real, signed transactions for devnet tests with pycardano.

Each builder returns the exact bytes to submit. Bodies are pycardano
``TransactionBody`` objects (so they are real Cardano bodies); the transaction is
assembled around the body's bytes so a test can also submit hand-crafted variants
(non-canonical CBOR, null auxiliary data with a hash, is_valid = false).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from pycardano import (
    Address,
    Network,
    PaymentSigningKey,
    PaymentVerificationKey,
    TransactionBody,
    TransactionInput,
    TransactionOutput,
    TransactionWitnessSet,
    VerificationKeyWitness,
)

from anchor.devnet import RunningDevnet
from anchor.devnet.txdecode import TxIn

ADA = 1_000_000
FEE = 200_000
AUTO: Any = object()


@dataclass(frozen=True)
class Wallet:
    """A payment key and its enterprise testnet address."""

    sk: PaymentSigningKey
    vk: PaymentVerificationKey
    address: Address

    @property
    def bech32(self) -> str:
        return str(self.address)

    @property
    def key_hash(self) -> bytes:
        return bytes(self.vk.hash())

    def mainnet_address(self) -> Address:
        return Address(self.vk.hash(), network=Network.MAINNET)


def wallet(seed: int) -> Wallet:
    """A deterministic wallet from a one-byte seed."""
    sk = PaymentSigningKey.from_primitive(bytes([seed]) * 32)
    vk = PaymentVerificationKey.from_signing_key(sk)
    return Wallet(sk, vk, Address(vk.hash(), network=Network.TESTNET))


def blake256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def body_bytes(
    inputs: list[TxIn],
    outputs: list[tuple[Address, int]],
    *,
    fee: int = FEE,
    **fields: Any,
) -> bytes:
    """A pycardano transaction body; ``fields`` are other TransactionBody fields."""
    body = TransactionBody(
        inputs=[TransactionInput.from_primitive([t.tx_hash, t.index]) for t in inputs],
        outputs=[TransactionOutput(addr, amount) for addr, amount in outputs],
        fee=fee,
        **fields,
    )
    return bytes(body.to_cbor())


def witnesses(body: bytes, signers: list[Wallet], *, message: bytes | None = None) -> bytes:
    """A witness set with one vkey witness per signer over blake2b-256(body) (or ``message``)."""
    signed = blake256(body) if message is None else message
    wits = [VerificationKeyWitness(w.vk, w.sk.sign(signed)) for w in signers]
    return bytes(TransactionWitnessSet(vkey_witnesses=wits or None).to_cbor())


def assemble(body: bytes, wits: bytes, aux: bytes | None = None, *, is_valid: bool = True) -> bytes:
    """``[body, witnesses, is_valid, aux | null]`` from raw parts."""
    flag = b"\xf5" if is_valid else b"\xf4"
    return b"\x84" + body + wits + flag + (b"\xf6" if aux is None else aux)


def signed_tx(
    inputs: list[TxIn],
    outputs: list[tuple[Address, int]],
    signers: list[Wallet],
    *,
    fee: int = FEE,
    aux: bytes | None = None,
    aux_hash: Any = AUTO,
    **fields: Any,
) -> bytes:
    """A complete signed transaction; ``aux_hash`` defaults to the hash of ``aux``."""
    if aux_hash is AUTO:
        aux_hash = blake256(aux) if aux is not None else None
    if aux_hash is not None:
        fields["auxiliary_data_hash"] = aux_hash
    body = body_bytes(inputs, outputs, fee=fee, **fields)
    return assemble(body, witnesses(body, signers), aux)


def utxo_of(net: RunningDevnet, w: Wallet) -> tuple[TxIn, int]:
    """The first confirmed UTxO of a wallet and its lovelace."""
    found = net.state.utxos_at(w.address.to_primitive())
    assert found, f"no UTxO at {w.bech32}"
    return found[0].txin, found[0].out.coin


def pay(net: RunningDevnet, payer: Wallet, payee: Wallet, amount: int, **kw: Any) -> bytes:
    """A valid transaction paying ``amount`` from payer's first UTxO, change back to payer."""
    txin, coin = utxo_of(net, payer)
    fee = kw.pop("fee", FEE)
    outputs = [(payee.address, amount), (payer.address, coin - amount - fee)]
    return signed_tx([txin], outputs, [payer], fee=fee, **kw)


@dataclass(frozen=True)
class HttpResult:
    """Status and body of one HTTP exchange with the devnet."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http(
    url: str, *, data: bytes | None = None, content_type: str | None = None, method: str = "GET"
) -> HttpResult:
    """One request over loopback with urllib (cheap: no TLS context per call)."""
    request = urllib.request.Request(url, data=data, method=method)
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return HttpResult(reply.status, reply.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResult(exc.code, exc.read().decode("utf-8"))


def get(net: RunningDevnet, path: str) -> HttpResult:
    """GET a path below the API root."""
    return http(net.url + path)


def submit(net: RunningDevnet, raw: bytes) -> HttpResult:
    """POST raw transaction bytes to the devnet as blockfrost-python does."""
    return http(f"{net.url}/tx/submit", data=raw, content_type="application/cbor", method="POST")


def rejection_tags(response: HttpResult) -> list[str]:
    """The ledger rule names of a 400 rejection, in order."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400 and body["error"] == "Bad Request"
    return [part.split(":", 1)[0] for part in body["message"].split("; ")]
