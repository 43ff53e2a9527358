"""The chain reader a spool publisher uses: block facts and tip, plus a mempool lookup.

A rejected resubmission is settled by looking the transaction id up, never by
rebuilding: ``GET /txs/{id}`` (in a block) and ``GET /mempool/{id}`` (waiting).
"""

from __future__ import annotations

from anchor.chain.readers import BlockfrostReader, normalize_tx_hash


class SpoolReader(BlockfrostReader):
    """:class:`~anchor.chain.readers.BlockfrostReader` with :meth:`in_mempool`."""

    def in_mempool(self, tx_hash: str) -> bool:
        """True when the provider's mempool holds ``tx_hash`` (404: it does not)."""
        h = normalize_tx_hash(tx_hash)
        return self._call("GET", f"/mempool/{h}") is not None
