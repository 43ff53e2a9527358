"""The devnet's ledger rules: validate a decoded transaction against a UTxO view.

:func:`validate_tx` returns every rule the transaction breaks, each as a
:class:`Failure` named like the Cardano ledger's predicate failure
(``FeeTooSmallUTxO``, ``BadInputsUTxO``, ``MissingVKeyWitnessesUTXOW``, ...), so a
rejection reads like the node's. :func:`apply_tx` moves a valid transaction's inputs
out of and its outputs into the UTxO map. Both are pure over their arguments; the
chain state (:mod:`anchor.devnet.state`) owns locking, the mempool and blocks.

Rules implemented (the ledger's UTXOW and UTXO rules for key-locked ADA and native
assets): witness signatures, required vkey witnesses, auxiliary-data hash binding,
metadata well-formedness, non-empty inputs, validity interval, maximum size, minimum
fee, inputs exist and are unspent, value conservation, minimum output value, and the
network id of outputs and body. Scripts, certificates, withdrawals, minting,
governance and collateral are refused as ``UnsupportedFeature``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from anchor.devnet.address import describe
from anchor.devnet.metadata import metadata_violations
from anchor.devnet.params import NETWORK_ID, ProtocolParams
from anchor.devnet.txdecode import DecodedTx, TxIn, TxOut, blake2b_256
from anchor.errors import EnvironmentFailure

LOVELACE = "lovelace"


@dataclass(frozen=True)
class Failure:
    """One broken ledger rule: the ledger's predicate-failure name and a detail line."""

    tag: str
    detail: str

    def __str__(self) -> str:
        return f"{self.tag}: {self.detail}"


class TxRejected(EnvironmentFailure):
    """The devnet refused a transaction; ``failures`` lists every broken rule."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("; ".join(str(f) for f in failures))
        self.failures = tuple(failures)

    @property
    def tags(self) -> tuple[str, ...]:
        """The rule names, in the order they were checked."""
        return tuple(f.tag for f in self.failures)


def key_hash(vkey: bytes) -> bytes:
    """The 28-byte credential hash of a verification key (BLAKE2b-224)."""
    return hashlib.blake2b(vkey, digest_size=28).digest()


def _value(outputs: list[TxOut]) -> Counter[str]:
    total: Counter[str] = Counter()
    for out in outputs:
        total[LOVELACE] += out.coin
        for policy, name, quantity in out.assets:
            total[(policy + name).hex()] += quantity
    return total


def _show(value: Counter[str]) -> str:
    parts = [f"{value.get(LOVELACE, 0)} lovelace"]
    parts += [f"{q} {unit}" for unit, q in sorted(value.items()) if unit != LOVELACE and q]
    return " + ".join(parts)


def _unsupported(tx: DecodedTx, utxo: Mapping[TxIn, TxOut]) -> list[Failure]:
    reasons = list(tx.unsupported)
    if not tx.is_valid:
        reasons.append("is_valid = false (phase-2 failures need collateral)")
    for txin in tx.inputs:
        spent = utxo.get(txin)
        if spent is not None and describe(spent.address).payment_is_script:
            reasons.append(f"input {txin} is locked by a script")
    return [Failure("UnsupportedFeature", f"the devnet does not implement {r}") for r in reasons]


def _witness_failures(tx: DecodedTx, utxo: Mapping[TxIn, TxOut]) -> list[Failure]:
    failures: list[Failure] = []
    bad: list[str] = []
    for wit in tx.witnesses:
        try:
            VerifyKey(wit.vkey).verify(tx.tx_id, wit.signature)
        except (BadSignatureError, CryptoError, ValueError):
            bad.append(wit.vkey.hex())
    if bad:
        failures.append(
            Failure("InvalidWitnessesUTXOW", f"signature does not verify for vkey {', '.join(bad)}")
        )
    witnessed = {key_hash(w.vkey) for w in tx.witnesses}
    needed: list[bytes] = []
    for txin in tx.inputs:
        spent = utxo.get(txin)
        if spent is not None:
            pkh = describe(spent.address).payment_key_hash
            if pkh is not None:
                needed.append(pkh)
    needed += tx.required_signers
    missing = sorted({h for h in needed if h not in witnessed})
    if missing:
        failures.append(
            Failure(
                "MissingVKeyWitnessesUTXOW",
                f"no vkey witness for key hash {', '.join(h.hex() for h in missing)}",
            )
        )
    return failures


def _metadata_failures(tx: DecodedTx) -> list[Failure]:
    if tx.aux_raw is None and tx.aux_hash is not None:
        return [Failure("MissingTxMetadata", f"body commits to {tx.aux_hash.hex()} but no data")]
    if tx.aux_raw is None:
        return []
    actual = blake2b_256(tx.aux_raw)
    if tx.aux_hash is None:
        return [Failure("MissingTxBodyMetadataHash", f"auxiliary data hash {actual.hex()}")]
    if tx.aux_hash != actual:
        detail = f"body has {tx.aux_hash.hex()}, auxiliary data hashes to {actual.hex()}"
        return [Failure("ConflictingMetadataHash", detail)]
    problems = metadata_violations(tx.metadata)
    return [Failure("InvalidMetadata", "; ".join(problems).replace(";", ","))] if problems else []


def _utxo_failures(
    tx: DecodedTx, utxo: Mapping[TxIn, TxOut], *, slot: int, params: ProtocolParams
) -> list[Failure]:
    failures: list[Failure] = []
    if not tx.inputs:
        failures.append(Failure("InputSetEmptyUTxO", "the transaction spends no input"))
    start, ttl = tx.validity_start, tx.ttl
    if (start is not None and slot < start) or (ttl is not None and slot >= ttl):
        interval = f"[{'-inf' if start is None else start}, {'+inf' if ttl is None else ttl})"
        failures.append(
            Failure("OutsideValidityIntervalUTxO", f"slot {slot} is outside {interval}")
        )
    if tx.size > params.max_tx_size:
        failures.append(Failure("MaxTxSizeUTxO", f"size {tx.size} > maximum {params.max_tx_size}"))
    min_fee = params.min_fee(tx.size)
    if tx.fee < min_fee:
        failures.append(Failure("FeeTooSmallUTxO", f"fee {tx.fee} < minimum {min_fee}"))
    unknown = [txin for txin in tx.inputs if txin not in utxo]
    if unknown:
        detail = "unknown or already spent input " + ", ".join(str(t) for t in unknown)
        failures.append(Failure("BadInputsUTxO", detail))
    else:
        consumed = _value([utxo[txin] for txin in tx.inputs])
        produced = _value(list(tx.outputs))
        produced[LOVELACE] += tx.fee
        if +consumed != +produced:
            detail = f"consumed {_show(consumed)} != produced {_show(produced)} (outputs + fee)"
            failures.append(Failure("ValueNotConservedUTxO", detail))
    small = [
        f"output {i}: {out.coin} < {params.min_utxo(len(out.raw))}"
        for i, out in enumerate(tx.outputs)
        if out.coin < params.min_utxo(len(out.raw))
    ]
    if small:
        failures.append(Failure("OutputTooSmallUTxO", ", ".join(small)))
    wrong = [
        i for i, out in enumerate(tx.outputs) if describe(out.address).network_id != NETWORK_ID
    ]
    if wrong:
        detail = f"output {', '.join(map(str, wrong))} not on network id {NETWORK_ID}"
        failures.append(Failure("WrongNetwork", detail))
    if tx.network_id is not None and tx.network_id != NETWORK_ID:
        detail = f"body network id {tx.network_id} != {NETWORK_ID}"
        failures.append(Failure("WrongNetworkInTxBody", detail))
    return failures


def validate_tx(
    tx: DecodedTx, utxo: Mapping[TxIn, TxOut], *, slot: int, params: ProtocolParams
) -> list[Failure]:
    """Every ledger rule ``tx`` breaks when applied at ``slot`` to ``utxo`` (empty: valid).

    Unsupported features are reported alone: the remaining rules cannot be judged
    correctly for a transaction whose effects the devnet does not model.
    """
    unsupported = _unsupported(tx, utxo)
    if unsupported:
        return unsupported
    return (
        _witness_failures(tx, utxo)
        + _metadata_failures(tx)
        + _utxo_failures(tx, utxo, slot=slot, params=params)
    )


def check_tx(
    tx: DecodedTx, utxo: Mapping[TxIn, TxOut], *, slot: int, params: ProtocolParams
) -> None:
    """Raise :class:`TxRejected` unless ``tx`` is valid at ``slot`` against ``utxo``."""
    failures = validate_tx(tx, utxo, slot=slot, params=params)
    if failures:
        raise TxRejected(failures)


def apply_tx(tx: DecodedTx, utxo: MutableMapping[TxIn, TxOut]) -> None:
    """Spend ``tx``'s inputs and add its outputs to ``utxo`` (call only after validation)."""
    for txin in tx.inputs:
        del utxo[txin]
    for index, out in enumerate(tx.outputs):
        utxo[TxIn(tx.tx_id, index)] = out
