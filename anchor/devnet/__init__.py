"""A local Cardano stand-in that speaks the Blockfrost HTTP API, with real ledger checks.

Programmatic use (tests, the publish and verify layers, the demo)::

    from anchor.devnet import start_devnet

    with start_devnet(funds={"addr_test1...": 1_000_000_000}) as net:
        net.url          # "http://127.0.0.1:PORT/api/v0"  (the API root, --provider-url)
        net.base_url     # "http://127.0.0.1:PORT/api"     (blockfrost-python / pycardano
                         #  BlockFrostChainContext(base_url=...), which append "/v0")
        ...submit a transaction over HTTP (POST {url}/tx/submit, application/cbor)...
        net.cut_block()  # put the mempool in a block now (deterministic, no clock)
        net.advance(5)   # five more blocks: the transaction has 5 confirmations
        net.fund("addr_test1...", 5_000_000)   # faucet credit in a new block -> TxIn

``start_devnet(*, port=0, funds=..., block_time=None, state_path=None, clock=time.time)``
binds 127.0.0.1 only (port 0 picks a free port). ``block_time`` seconds starts a clock
that cuts a block on every tick, empty or not; tests leave it ``None`` and cut blocks
themselves (a block's slot is the wall-clock slot, or the previous slot + 1 when blocks
come faster than one per second). ``state_path`` restores the chain from that JSON
file when it exists and saves it atomically as blocks are cut and on ``stop()``.
``RunningDevnet.state`` is the :class:`~anchor.devnet.state.ChainState` (tip, blocks,
UTxO set, mempool); ``RunningDevnet.state.next_slot()`` is the slot submissions are
judged at (for validity intervals).

The chain is a testnet (network id 0, magic 42) with Conway protocol parameters
(minFeeA 44, minFeeB 155381, maxTxSize 16384, coinsPerUTxOByte 4310), one-second slots
from the system start. Every submitted transaction is checked as the ledger would
(see :mod:`anchor.devnet.ledger`); a rejection is HTTP 400 whose message lists the
broken rules by their ledger names, e.g. ``FeeTooSmallUTxO: fee 170000 < minimum
171234``. Modules: ``params`` (constants), ``address`` (bech32, credentials),
``txdecode`` (raw bytes to facts), ``metadata``, ``ledger`` (rules), ``state`` (chain
and mempool), ``persist`` (JSON state file), ``api`` (Blockfrost endpoints),
``server`` (HTTP and the handle).
"""

from __future__ import annotations

from anchor.devnet.server import API_PREFIX, DEFAULT_PORT, RunningDevnet, parse_fund, start_devnet

__all__ = ["API_PREFIX", "DEFAULT_PORT", "RunningDevnet", "parse_fund", "start_devnet"]
