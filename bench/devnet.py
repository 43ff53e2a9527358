"""Devnet throughput: validated submissions against a plain HTTP round trip, block and state costs.

Figures: the time per ``/tx/submit`` of a signed transaction with ~1 KB of metadata
(decode, Ed25519 check, every ledger rule) as a ratio of a ``/health`` round trip on
the same server; the time to cut a block that revalidates the whole mempool; and the
time to save and to restore (replaying every block) a chain of many empty blocks.
"""

from __future__ import annotations

import tempfile
import time
import urllib.request
from pathlib import Path

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

from anchor.devnet import start_devnet
from anchor.devnet.persist import load_state, save_state
from anchor.devnet.txdecode import blake2b_256
from anchor.label309.cbor import encode

TXS = 300
EMPTY_BLOCKS = 20_000
FEE = 250_000


def _chain_of_payments(sk: PaymentSigningKey, first: tuple[bytes, int]) -> list[bytes]:
    """Signed transactions each spending the previous one's only output."""
    vk = PaymentVerificationKey.from_signing_key(sk)
    address = Address(vk.hash(), network=Network.TESTNET)
    aux = encode({309: ["x" * 64] * 15})
    raws: list[bytes] = []
    (tx_hash, coin) = first
    for _ in range(TXS):
        coin -= FEE
        body = TransactionBody(
            inputs=[TransactionInput.from_primitive([tx_hash, 0])],
            outputs=[TransactionOutput(address, coin)],
            fee=FEE,
            auxiliary_data_hash=blake2b_256(aux),
        ).to_cbor()
        tx_hash = blake2b_256(body)
        wits = TransactionWitnessSet(
            vkey_witnesses=[VerificationKeyWitness(vk, sk.sign(tx_hash))]
        ).to_cbor()
        raws.append(b"\x84" + body + wits + b"\xf5" + aux)
    return raws


def _post(url: str, raw: bytes) -> None:
    request = urllib.request.Request(url, data=raw, method="POST")
    request.add_header("Content-Type", "application/cbor")
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as reply:
        reply.read()


def main() -> None:
    sk = PaymentSigningKey.from_primitive(bytes(32))
    address = Address(PaymentVerificationKey.from_signing_key(sk).hash(), network=Network.TESTNET)
    with start_devnet(funds={str(address): 10_000_000_000}) as net:
        genesis = net.state.utxos_at(address.to_primitive()) or []
        raws = _chain_of_payments(sk, (genesis[0].txin.tx_hash, genesis[0].out.coin))
        started = time.perf_counter()
        for _ in range(TXS):
            _get(f"{net.url}/health")
        health = (time.perf_counter() - started) / TXS
        started = time.perf_counter()
        for raw in raws:
            _post(f"{net.url}/tx/submit", raw)
        submit = (time.perf_counter() - started) / TXS
        print(f"/health round trip     {health * 1e3:8.2f} ms")
        print(f"/tx/submit (validated) {submit * 1e3:8.2f} ms  ratio {submit / health:5.1f}x")
        started = time.perf_counter()
        while net.state.mempool:
            net.cut_block()
        print(f"cut blocks for {TXS} txs {(time.perf_counter() - started) * 1e3:8.1f} ms")
        for _ in range(EMPTY_BLOCKS):
            net.state.cut_block()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chain.json"
            started = time.perf_counter()
            save_state(net.state, path)
            saved = time.perf_counter() - started
            started = time.perf_counter()
            restored = load_state(path)
            loaded = time.perf_counter() - started
            size = path.stat().st_size
        assert restored.tip.hash == net.tip.hash
        print(
            f"state of {net.tip.height} blocks: {size / 1e3:.0f} KB, save {saved * 1e3:.0f} ms, "
            f"restore (replay) {loaded * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
