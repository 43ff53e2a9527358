"""Build and sign the Label 309 anchoring transaction (the only module that imports pycardano).

:func:`build_transaction` spends plain ADA UTxOs of the payment address, returns the
change to the same address, attaches the auxiliary data ``{309: chunk array}``, sets a
TTL and signs with the payment key. What it guarantees about the returned bytes:

* the fee is exactly the ledger minimum for the final signed size
  (``min_fee_a * len(tx_bytes) + min_fee_b``); pycardano's estimate is checked after
  signing and the fee/change are corrected until that holds;
* pycardano re-serialises, so the *final* signed bytes are split with our own span
  reader (:func:`anchor.label309.txbind.split_tx`), the auxiliary data is unwrapped and
  reassembled with our own carriage code and must equal the record body byte for byte,
  ``blake2b-256(aux bytes)`` must equal body key 7, and the tx id is
  ``blake2b-256(body bytes)`` of those same bytes (:func:`check_transaction`);
* UTxO selection is deterministic (largest first), and only ADA-only outputs without
  datum or reference script are spent, so tokens are never moved.

pycardano is imported inside the functions, keeping ``import anchor.chain.txbuild``
cheap and ``anchor verify`` free of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from anchor.chain.keys import PaymentKey
from anchor.chain.network import Network
from anchor.chain.providers import ProtocolParams, Utxo
from anchor.errors import AnchorError, EnvironmentFailure

# Upper bound of everything in a one-input, one-output signed transaction except the
# auxiliary data (body skeleton, witness, framing); used only to refuse early.
SKELETON_BYTES = 260
_MAX_FEE_ROUNDS = 8


class NotEnoughFunds(EnvironmentFailure):
    """The payment address cannot pay for the transaction (exit 5); says how much and where."""

    def __init__(self, *, address: str, have: int, need: int, utxo_count: int) -> None:
        if utxo_count == 0:
            text = (
                f"no spendable UTxO at the payment address {address}; "
                f"send at least {_ada(need)} to it"
            )
        else:
            more = need - have if need > have else 1_000_000
            text = (
                f"not enough funds at the payment address {address}: {utxo_count} spendable "
                f"UTxO(s) hold {_ada(have)}, the transaction needs at least {_ada(need)} "
                f"(fee plus the minimum change output); send at least {_ada(more)} more"
            )
        super().__init__(text)
        self.address = address
        self.have = have
        self.need = need


class RecordTooLarge(EnvironmentFailure):
    """The record cannot fit a transaction under ``max_tx_size`` (exit 5)."""


class TransactionCheckFailed(AnchorError):
    """The built transaction does not carry the record exactly (a bug; never submitted)."""

    exit_code = 70


@dataclass(frozen=True)
class BuiltTx:
    """A signed anchoring transaction and its measured facts.

    ``tx_bytes`` are the exact bytes to submit; ``tx_id``, ``aux_hash`` and
    ``fee``/``min_fee`` were computed from those bytes, not from pycardano's objects.
    """

    tx_bytes: bytes
    tx_id: str
    aux_bytes: bytes
    aux_hash: bytes
    fee: int
    min_fee: int
    ttl: int
    address: str
    inputs: tuple[str, ...]
    change: int

    @property
    def size(self) -> int:
        """Length of the signed transaction in bytes."""
        return len(self.tx_bytes)


def _ada(lovelace: int) -> str:
    return f"{lovelace} lovelace ({lovelace / 1_000_000:.6f} ADA)"


def _context(params: ProtocolParams, network: Network, utxos: list[Any], slot: int) -> Any:
    """A pycardano ChainContext answering from values we already fetched (no network)."""
    from pycardano import Network as PcNetwork
    from pycardano.backend.base import ChainContext, ProtocolParameters

    pp = ProtocolParameters(
        min_fee_constant=params.min_fee_b,
        min_fee_coefficient=params.min_fee_a,
        max_block_size=90112,
        max_tx_size=params.max_tx_size,
        max_block_header_size=1100,
        key_deposit=params.key_deposit,
        pool_deposit=params.pool_deposit,
        pool_influence=Fraction(0),
        monetary_expansion=Fraction(0),
        treasury_expansion=Fraction(0),
        decentralization_param=Fraction(0),
        extra_entropy="",
        protocol_major_version=params.protocol_major,
        protocol_minor_version=params.protocol_minor,
        min_utxo=0,
        min_pool_cost=0,
        price_mem=Fraction(0),
        price_step=Fraction(0),
        max_tx_ex_mem=0,
        max_tx_ex_steps=0,
        max_block_ex_mem=0,
        max_block_ex_steps=0,
        max_val_size=params.max_value_size,
        collateral_percent=0,
        max_collateral_inputs=0,
        coins_per_utxo_word=0,
        coins_per_utxo_byte=params.coins_per_utxo_byte,
        cost_models={},
    )
    net = PcNetwork.MAINNET if network.is_mainnet else PcNetwork.TESTNET

    class _Fixed(ChainContext):  # type: ignore[misc]
        @property
        def protocol_param(self) -> Any:
            return pp

        @property
        def network(self) -> Any:
            return net

        @property
        def last_block_slot(self) -> int:
            return slot

        @property
        def epoch(self) -> int:
            return 0

        def _utxos(self, address: str) -> list[Any]:
            return list(utxos)

    return _Fixed()


def _pc_utxo(utxo: Utxo) -> Any:
    from pycardano import Address, TransactionId, TransactionInput, TransactionOutput, UTxO

    return UTxO(
        TransactionInput(TransactionId(bytes.fromhex(utxo.tx_hash)), utxo.index),
        TransactionOutput(Address.from_primitive(utxo.address), utxo.lovelace),
    )


def _min_change(context: Any, address: str) -> int:
    from pycardano import Address, TransactionOutput
    from pycardano.utils import min_lovelace_post_alonzo

    out = TransactionOutput(Address.from_primitive(address), 45_000_000_000_000_000)
    return int(min_lovelace_post_alonzo(out, context))


def _sign(body: Any, skey: Any, vkey: Any, aux: Any) -> Any:
    from pycardano import Transaction, TransactionWitnessSet, VerificationKeyWitness

    signature = skey.sign(body.hash())
    witness = TransactionWitnessSet(vkey_witnesses=[VerificationKeyWitness(vkey, signature)])
    return Transaction(body, witness, True, aux)


def build_transaction(
    record_body: bytes,
    *,
    payment_key: PaymentKey,
    params: ProtocolParams,
    utxos: list[Utxo],
    network: Network,
    ttl: int,
    tip_slot: int = 0,
) -> BuiltTx:
    """Build, sign and check the transaction anchoring ``record_body`` (see the module text).

    Raises :class:`NotEnoughFunds` (with the amount needed and the address),
    :class:`RecordTooLarge`, or :class:`TransactionCheckFailed` if the final bytes do
    not carry the record exactly.
    """
    from pycardano import (
        Address,
        AuxiliaryData,
        Metadata,
        PaymentSigningKey,
        PaymentVerificationKey,
        Transaction,
        TransactionBuilder,
        TransactionWitnessSet,
    )
    from pycardano.coinselection import LargestFirstSelector
    from pycardano.exception import InvalidTransactionException, UTxOSelectionException

    from anchor.label309 import carriage

    address = payment_key.address(network.network_id)
    aux_expected = carriage.metadata_map_bytes(record_body)
    if len(aux_expected) + SKELETON_BYTES > params.max_tx_size:
        raise RecordTooLarge(
            f"the record ({len(record_body)} bytes, {len(aux_expected)} bytes as metadata) "
            f"does not fit a transaction: max_tx_size is {params.max_tx_size} bytes "
            f"and the transaction needs about {SKELETON_BYTES} more",
            hint="anchor fewer items per record (use the Merkle root) or drop URIs",
        )
    aux = AuxiliaryData(Metadata({309: list(carriage.chunk_body(record_body))}))
    if aux.to_cbor() != aux_expected:
        raise TransactionCheckFailed("pycardano serialises the label-309 metadata differently")

    spendable = [u for u in utxos if u.plain and u.address == address]
    context = _context(params, network, [_pc_utxo(u) for u in spendable], tip_slot)
    have = sum(u.lovelace for u in spendable)
    need = params.min_fee(len(aux_expected) + SKELETON_BYTES) + _min_change(context, address)
    if have < need:
        raise NotEnoughFunds(address=address, have=have, need=need, utxo_count=len(spendable))

    skey = PaymentSigningKey(payment_key.signing_seed)
    vkey = PaymentVerificationKey.from_signing_key(skey)
    builder = TransactionBuilder(context, utxo_selectors=[LargestFirstSelector()])
    builder.add_input_address(address)
    builder.auxiliary_data = aux
    builder.ttl = ttl
    try:
        body = builder.build(change_address=Address.from_primitive(address))
    except InvalidTransactionException as exc:
        raise RecordTooLarge(f"the transaction would exceed max_tx_size: {exc}") from exc
    except UTxOSelectionException as exc:
        raise NotEnoughFunds(
            address=address, have=have, need=need, utxo_count=len(spendable)
        ) from exc

    # Before signing: the auxiliary data as pycardano serialises it, read back with our
    # own carriage code, must carry the record and match body key 7.
    check_transaction(Transaction(body, TransactionWitnessSet(), True, aux).to_cbor(), record_body)
    tx = _sign(body, skey, vkey, aux)
    raw: bytes = tx.to_cbor()
    # pycardano estimates the fee with placeholder values; make it exactly the minimum
    # for the final size by moving the difference to the change output.
    for _ in range(_MAX_FEE_ROUNDS):
        wanted = params.min_fee(len(raw))
        if body.fee == wanted:
            break
        if len(body.outputs) != 1:
            raise TransactionCheckFailed(f"expected one change output, got {len(body.outputs)}")
        body.outputs[0].amount.coin += body.fee - wanted
        body.fee = wanted
        tx = _sign(body, skey, vkey, aux)
        raw = tx.to_cbor()
    else:
        raise TransactionCheckFailed("the fee did not settle at the ledger minimum")
    if len(raw) > params.max_tx_size:
        raise RecordTooLarge(
            f"the signed transaction is {len(raw)} bytes; max_tx_size is {params.max_tx_size}"
        )
    change = int(body.outputs[0].amount.coin)
    if change < _min_change(context, address):
        raise NotEnoughFunds(address=address, have=have, need=need, utxo_count=len(spendable))

    checked = check_transaction(raw, record_body)
    fee = int(body.fee)
    min_fee = params.min_fee(len(raw))
    if fee != min_fee or checked.fee != fee:
        raise TransactionCheckFailed(f"fee {fee} is not the ledger minimum {min_fee}")
    inputs = tuple(f"{i.transaction_id.payload.hex()}#{i.index}" for i in body.inputs)
    return BuiltTx(
        tx_bytes=raw,
        tx_id=checked.tx_id,
        aux_bytes=checked.aux_bytes,
        aux_hash=checked.aux_hash,
        fee=fee,
        min_fee=min_fee,
        ttl=ttl,
        address=address,
        inputs=inputs,
        change=change,
    )


@dataclass(frozen=True)
class CheckedTx:
    """What :func:`check_transaction` established from the raw bytes alone."""

    tx_id: str
    aux_bytes: bytes
    aux_hash: bytes
    fee: int
    ttl: int | None


def check_transaction(tx_bytes: bytes, record_body: bytes) -> CheckedTx:
    """Prove from ``tx_bytes`` alone that they anchor exactly ``record_body``.

    Splits the transaction with our span reader, unwraps and reassembles the label-309
    value with our carriage code (must equal ``record_body`` byte for byte), checks
    ``blake2b-256(aux) == body[7]`` and reads the fee and TTL. Raises
    :class:`TransactionCheckFailed` otherwise. Needs no pycardano.
    """
    from anchor.label309 import carriage, cbor, txbind
    from anchor.label309.hashes import blake2b_256

    try:
        parts = txbind.split_tx(tx_bytes)
        body_bytes = bytes(parts.body)
        aux_bytes = bytes(parts.aux) if parts.aux is not None else b""
        if not aux_bytes:
            raise TransactionCheckFailed("the transaction carries no auxiliary data")
        value = carriage.unwrap_aux_data(aux_bytes)
        carried = carriage.reassemble(value)
        body = cbor.decode_lenient(body_bytes)
    except AnchorError as exc:
        if isinstance(exc, TransactionCheckFailed):
            raise
        raise TransactionCheckFailed(f"the built transaction does not parse: {exc}") from exc
    if carried != record_body:
        raise TransactionCheckFailed("the transaction's label-309 value is not the record body")
    aux_hash = blake2b_256(aux_bytes)
    if not isinstance(body, cbor.CborMap) or body.get(7) != aux_hash:
        raise TransactionCheckFailed("body key 7 is not blake2b-256 of the auxiliary data")
    fee = body.get(2)
    ttl = body.get(3)
    if not isinstance(fee, int) or isinstance(fee, bool):
        raise TransactionCheckFailed("the transaction body has no fee")
    return CheckedTx(
        tx_id=bytes(txbind.tx_id(body_bytes)).hex(),
        aux_bytes=aux_bytes,
        aux_hash=aux_hash,
        fee=fee,
        ttl=ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else None,
    )
