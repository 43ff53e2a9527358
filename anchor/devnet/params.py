"""The devnet's fixed chain constants: Conway protocol parameters and the genesis.

The ledger rules read :class:`ProtocolParams`; the HTTP layer renders the same
values in Blockfrost's shapes (:func:`parameters_json`, :func:`genesis_json`) so a
client such as pycardano computes fees and minimum outputs exactly as the devnet
checks them. Values follow Cardano mainnet in the Conway era; the network is a
testnet (network id 0) with its own magic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NETWORK_ID = 0
NETWORK_MAGIC = 42
SLOT_LENGTH = 1
EPOCH_LENGTH = 432_000
SECURITY_PARAM = 2160
ACTIVE_SLOTS_COEFFICIENT = 0.05
MAX_LOVELACE_SUPPLY = 45_000_000_000_000_000
SLOT_LEADER = "anchor-devnet"

# Ledger constant of the Babbage/Conway minimum-UTxO rule: an output is charged
# for its serialised size plus this fixed overhead (the UTxO map entry).
UTXO_ENTRY_OVERHEAD = 160


@dataclass(frozen=True)
class ProtocolParams:
    """The protocol parameters the devnet enforces (Conway mainnet values)."""

    min_fee_a: int = 44
    min_fee_b: int = 155_381
    max_tx_size: int = 16_384
    coins_per_utxo_byte: int = 4_310
    max_block_size: int = 90_112
    max_value_size: int = 5_000
    protocol_major: int = 10
    protocol_minor: int = 0

    def min_fee(self, tx_size: int) -> int:
        """Linear minimum fee for a transaction of ``tx_size`` bytes (no scripts)."""
        return self.min_fee_a * tx_size + self.min_fee_b

    def min_utxo(self, output_size: int) -> int:
        """Minimum lovelace of an output whose serialisation is ``output_size`` bytes."""
        return (UTXO_ENTRY_OVERHEAD + output_size) * self.coins_per_utxo_byte


CONWAY = ProtocolParams()

_NONCE = "1a3be38bcbb7911969283716ad7aa550250226b76a61fc51cc9a9a35d9276d81"


def parameters_json(params: ProtocolParams, *, epoch: int) -> dict[str, Any]:
    """The ``/epochs/latest/parameters`` object (every field the schema requires)."""
    return {
        "epoch": epoch,
        "min_fee_a": params.min_fee_a,
        "min_fee_b": params.min_fee_b,
        "max_block_size": params.max_block_size,
        "max_tx_size": params.max_tx_size,
        "max_block_header_size": 1100,
        "key_deposit": "2000000",
        "pool_deposit": "500000000",
        "e_max": 18,
        "n_opt": 500,
        "a0": 0.3,
        "rho": 0.003,
        "tau": 0.2,
        "decentralisation_param": 0,
        "extra_entropy": None,
        "protocol_major_ver": params.protocol_major,
        "protocol_minor_ver": params.protocol_minor,
        "min_utxo": str(params.coins_per_utxo_byte),
        "min_pool_cost": "170000000",
        "nonce": _NONCE,
        # Scripts are not supported by the devnet, so no cost models are offered.
        "cost_models": {},
        "cost_models_raw": {},
        "price_mem": 0.0577,
        "price_step": 0.0000721,
        "max_tx_ex_mem": "14000000",
        "max_tx_ex_steps": "10000000000",
        "max_block_ex_mem": "62000000",
        "max_block_ex_steps": "20000000000",
        "max_val_size": str(params.max_value_size),
        "collateral_percent": 150,
        "max_collateral_inputs": 3,
        "coins_per_utxo_size": str(params.coins_per_utxo_byte),
        "coins_per_utxo_word": str(params.coins_per_utxo_byte),
        "pvt_motion_no_confidence": 0.51,
        "pvt_committee_normal": 0.51,
        "pvt_committee_no_confidence": 0.51,
        "pvt_hard_fork_initiation": 0.51,
        "dvt_motion_no_confidence": 0.67,
        "dvt_committee_normal": 0.67,
        "dvt_committee_no_confidence": 0.6,
        "dvt_update_to_constitution": 0.75,
        "dvt_hard_fork_initiation": 0.6,
        "dvt_p_p_network_group": 0.67,
        "dvt_p_p_economic_group": 0.67,
        "dvt_p_p_technical_group": 0.67,
        "dvt_p_p_gov_group": 0.75,
        "dvt_treasury_withdrawal": 0.67,
        "committee_min_size": "7",
        "committee_max_term_length": "146",
        "gov_action_lifetime": "6",
        "gov_action_deposit": "100000000000",
        "drep_deposit": "500000000",
        "drep_activity": "20",
        "pvtpp_security_group": 0.51,
        "pvt_p_p_security_group": 0.51,
        "min_fee_ref_script_cost_per_byte": 15,
    }


def genesis_json(*, system_start: int) -> dict[str, Any]:
    """The ``/genesis`` object for a chain whose slot 0 began at ``system_start`` (Unix s)."""
    return {
        "active_slots_coefficient": ACTIVE_SLOTS_COEFFICIENT,
        "update_quorum": 5,
        "max_lovelace_supply": str(MAX_LOVELACE_SUPPLY),
        "network_magic": NETWORK_MAGIC,
        "epoch_length": EPOCH_LENGTH,
        "system_start": system_start,
        "slots_per_kes_period": 129_600,
        "slot_length": SLOT_LENGTH,
        "max_kes_evolutions": 62,
        "security_param": SECURITY_PARAM,
    }
