"""Lying chain providers for the end-to-end verify tests (issue 16).

:class:`Liar` is a small threaded HTTP server on 127.0.0.1 that speaks enough of the
Blockfrost API (``/genesis``, ``/txs/{h}``, ``/txs/{h}/cbor``, ``/blocks/latest``) or of
the Koios API (``GET /genesis``, ``GET /tip``, ``POST /tx_cbor``) for ``anchor verify``.
Every answer is taken from a real upstream (the devnet's Blockfrost API) at request
time and then altered in one way only:

* ``tx``: Blockfrost ``/txs/{h}`` fields replaced (``block``, ``block_height``, ``slot``,
  ``block_time``, ``valid_contract``); Koios rows get the same lie under their own names;
* ``tip``: the tip height replaced (confirmations);
* ``cbor``: a function applied to the transaction bytes served;
* ``mode="trickle"``: every answer is a 200 whose body arrives one byte every
  ``period`` seconds (never finishing);
* ``mode="nested"``: every answer is JSON nested ``depth`` levels deep (arrays, or
  objects with ``shape="objects"``).

``hits`` counts the requests served, so a test can tell a liar was asked.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Liar:
    """A lying provider in front of ``upstream`` (a Blockfrost API root); a context manager."""

    def __init__(
        self,
        upstream: str,
        *,
        kind: str = "blockfrost",
        tx: dict[str, Any] | None = None,
        tip: int | None = None,
        cbor: Callable[[bytes], bytes] | None = None,
        mode: str = "json",
        period: float = 2.0,
        depth: int = 200_000,
        shape: str = "arrays",
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.kind = kind
        self.tx = tx or {}
        self.tip = tip
        self.cbor = cbor
        self.mode = mode
        self.period = period
        self.depth = depth
        self.shape = shape
        self.hits = 0
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API root to pass as ``--provider NAME=URL``."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/api/v{1 if self.kind == 'koios' else 0}"

    def __enter__(self) -> Liar:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    # -- honest data from the upstream, then the lie --------------------------------------

    def _tx_json(self, h: str) -> dict[str, Any]:
        doc: dict[str, Any] = _get(f"{self.upstream}/txs/{h}")
        doc.update(self.tx)
        return doc

    def _cbor(self, h: str) -> str:
        raw = bytes.fromhex(_get(f"{self.upstream}/txs/{h}/cbor")["cbor"])
        return (self.cbor(raw) if self.cbor else raw).hex()

    def _tip(self) -> dict[str, Any]:
        doc: dict[str, Any] = _get(f"{self.upstream}/blocks/latest")
        if self.tip is not None:
            doc["height"] = self.tip
        return doc

    def blockfrost(self, path: str) -> Any:
        """The Blockfrost answer for ``path`` (below the API root)."""
        if path == "/genesis":
            return _get(f"{self.upstream}/genesis")
        if path == "/blocks/latest":
            return self._tip()
        parts = path.strip("/").split("/")
        if parts[0] == "txs" and len(parts) == 2:
            return self._tx_json(parts[1])
        if parts[0] == "txs" and parts[2:] == ["cbor"]:
            return {"cbor": self._cbor(parts[1])}
        return None

    def koios(self, path: str, body: Any) -> Any:
        """The Koios answer for ``path``, taken from the upstream's Blockfrost answers."""
        if path == "/genesis":
            g = _get(f"{self.upstream}/genesis")
            return [
                {
                    "networkmagic": str(g["network_magic"]),
                    "systemstart": str(g["system_start"]),
                    "slotlength": str(g["slot_length"]),
                }
            ]
        if path == "/tip":
            return [{"block_no": self._tip()["height"]}]
        if path == "/tx_cbor":
            rows = []
            for h in body.get("_tx_hashes", []):
                tx = self._tx_json(h)
                row = {
                    "tx_hash": h,
                    "cbor": self._cbor(h),
                    "block_hash": tx["block"],
                    "block_height": tx["block_height"],
                    "tx_timestamp": tx["block_time"],
                    "absolute_slot": tx["slot"],
                }
                rows.append(row)
            return rows
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        liar = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                liar.hits += 1
                # read the request body first, whatever the answer: closing a socket with
                # unread bytes makes the kernel send a reset, and the client may then see
                # the reset (httpx ReadError) instead of the answer
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if liar.mode == "trickle":
                    self._trickle()
                    return
                if liar.mode == "nested":
                    if liar.shape == "objects":
                        data = b'{"a":' * liar.depth + b"1" + b"}" * liar.depth
                    else:
                        data = b"[" * liar.depth + b"]" * liar.depth
                    self._send(200, data)
                    return
                path = self.path.split("?")[0]
                path = path.removeprefix("/api/v0").removeprefix("/api/v1")
                body = json.loads(raw) if raw else {}
                try:
                    doc = liar.koios(path, body) if liar.kind == "koios" else liar.blockfrost(path)
                except OSError:
                    doc = None
                if doc is None:
                    self._send(404, b'{"status_code":404}')
                else:
                    self._send(200, json.dumps(doc).encode())

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                try:
                    while not liar._stop.is_set():
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(liar.period)
                except OSError:
                    pass  # the verifier hung up: what it should do

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        return Handler
