"""Fake HTTP providers for verifier tests: a scripted client speaking Blockfrost and Koios.

:class:`FakeChain` answers the four requests the readers make, from a table of
transactions; a provider can be made to serve altered bytes, answer 404, fail with a
status, or be unreachable (:class:`~anchor.chain.readers.TransportError`). Requests are
logged so tests can assert exactly what was asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from anchor.chain.readers import HttpResponse, TransportError

BF = "http://bf.test/api/v0"
KOIOS = "http://koios.test/api/v1"


@dataclass
class FakeChain:
    """Scripted Blockfrost + Koios server behind one HttpClient.

    ``txs`` maps tx hash -> raw CBOR served; ``behaviour`` maps a base URL to one of
    ``"ok"``, ``"down"`` (transport error), ``"404"``, ``"500"``, ``"302"``,
    ``"tamper"`` (flip the last byte of the CBOR it serves), or ``"nofacts"`` (serve the
    CBOR but fail every block-facts and tip request with HTTP 500).
    """

    txs: dict[str, bytes] = field(default_factory=dict)
    behaviour: dict[str, str] = field(default_factory=dict)
    height: int = 1000
    tip: int = 1099
    block_time: int = 1_767_225_600
    slot: int = 111_542_400
    block_hash: str = "ab" * 32
    facts_override: dict[str, dict[str, Any]] = field(default_factory=dict)
    magic: int = 1  # preprod
    log: list[tuple[str, str, str]] = field(default_factory=list)

    def request(
        self,
        method: str,
        url: str,
        *,
        purpose: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        self.log.append((method, url, purpose))
        base = BF if url.startswith(BF) else KOIOS
        mode = self.behaviour.get(base, "ok")
        if mode == "down":
            raise TransportError(f"ConnectError for {method} {url}")
        if mode in ("404", "500", "302"):
            return HttpResponse(int(mode), b'{"status_code":' + mode.encode() + b"}")
        path = url[len(base) :]
        serves_cbor = path == "/tx_cbor" if base == KOIOS else path.endswith("/cbor")
        if mode == "nofacts" and not serves_cbor:
            return HttpResponse(500, b'{"status_code":500}')
        if base == BF:
            return self._blockfrost(path, mode)
        return self._koios(path, json, mode)

    def _cbor(self, tx_hash: str, mode: str) -> bytes | None:
        raw = self.txs.get(tx_hash)
        if raw is None:
            return None
        if mode == "tamper":
            return raw[:-1] + bytes([raw[-1] ^ 1])
        return raw

    def _facts(self, base: str) -> dict[str, Any]:
        facts = {
            "height": self.height,
            "hash": self.block_hash,
            "slot": self.slot,
            "time": self.block_time,
        }
        facts.update(self.facts_override.get(base, {}))
        return facts

    def _blockfrost(self, path: str, mode: str) -> HttpResponse:
        if path == "/blocks/latest":
            return _ok({"height": self.tip, "hash": "cd" * 32, "time": self.block_time + 2000})
        if path == "/genesis":
            return _ok({"network_magic": self.magic, "system_start": 1_654_041_600})
        parts = path.strip("/").split("/")
        if parts[0] == "txs" and len(parts) in (2, 3):
            raw = self._cbor(parts[1], mode)
            if raw is None:
                return HttpResponse(404, b'{"status_code":404}')
            if len(parts) == 3 and parts[2] == "cbor":
                return _ok({"cbor": raw.hex()})
            f = self._facts(BF)
            return _ok(
                {
                    "hash": parts[1],
                    "block": f["hash"],
                    "block_height": f["height"],
                    "block_time": f["time"],
                    "slot": f["slot"],
                    "index": 0,
                    "valid_contract": f.get("valid", True),
                }
            )
        return HttpResponse(404, b"{}")

    def _koios(self, path: str, body: Any, mode: str) -> HttpResponse:
        if path == "/tip":
            return _ok([{"block_height": self.tip, "abs_slot": self.slot + 2000}])
        if path == "/genesis":
            return _ok([{"networkmagic": str(self.magic), "systemstart": 1_654_041_600}])
        if path == "/tx_cbor":
            rows = []
            for h in body["_tx_hashes"]:
                raw = self._cbor(h, mode)
                if raw is None:
                    continue
                f = self._facts(KOIOS)
                if mode == "nofacts":
                    f = {"hash": None, "height": None, "slot": None, "time": None}
                rows.append(
                    {
                        "tx_hash": h,
                        "block_hash": f["hash"],
                        "block_height": f["height"],
                        "epoch_no": 100,
                        "absolute_slot": f["slot"],
                        "tx_timestamp": f["time"],
                        "cbor": raw.hex(),
                    }
                )
            return _ok(rows)
        return HttpResponse(404, b"{}")


def _ok(doc: Any) -> HttpResponse:
    return HttpResponse(200, json.dumps(doc).encode())
