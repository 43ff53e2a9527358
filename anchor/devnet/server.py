"""Serve a devnet over HTTP on 127.0.0.1 and give tests and other layers a handle on it.

:func:`start_devnet` binds a stdlib ``ThreadingHTTPServer`` to the loopback interface
only, serves :class:`~anchor.devnet.api.BlockfrostApi` below ``/api/v0`` from a
background thread and returns a :class:`RunningDevnet`. With ``block_time`` a clock
thread cuts a block every ``block_time`` seconds (never more than one per one-second
slot, so block times never run ahead of the wall clock), empty or not, so confirmations
grow; without it blocks are cut only by :meth:`RunningDevnet.cut_block` and
:meth:`RunningDevnet.advance`, which tests use so they never wait on a clock. With
``test_controls`` the ``/control`` endpoints (:mod:`anchor.devnet.controls`) roll back,
drop and advance over HTTP; without it they are the 404 of any unknown path. With
``state_path`` the chain is restored from that file if it exists and saved after
every block with transactions (clock-cut empty blocks at most every 10 s), after
every manual cut or faucet credit, and on :meth:`RunningDevnet.stop`.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from anchor.devnet.address import AddressError, parse_bech32
from anchor.devnet.api import MAX_BODY, BlockfrostApi, Response, error_response
from anchor.devnet.controls import CONTROL_PREFIX, ControlApi
from anchor.devnet.params import MAX_LOVELACE_SUPPLY, NETWORK_ID, SLOT_LENGTH
from anchor.devnet.persist import load_state, save_state
from anchor.devnet.state import Block, ChainState, Clock, ShiftedClock
from anchor.devnet.txdecode import TxIn
from anchor.errors import EnvironmentFailure, InputError

HOST = "127.0.0.1"
API_PREFIX = "/api/v0"
DEFAULT_PORT = 8090
MAX_BLOCK_TIME = 3600.0
_EMPTY_SAVE_INTERVAL = 10.0
_ADA_RE = re.compile(r"^(\d{1,11})(?:\.(\d{1,6}))?$")


def parse_fund(spec: str) -> tuple[str, int]:
    """Parse ``ADDR=ADA`` (ADA with up to 6 decimals) into (bech32 address, lovelace)."""
    address, sep, amount = spec.partition("=")
    if not sep:
        raise InputError(f"--fund {spec!r}: expected ADDR=ADA, e.g. addr_test1...=1000")
    match = _ADA_RE.match(amount.strip())
    if match is None:
        raise InputError(f"--fund {spec!r}: {amount!r} is not an ADA amount (up to 6 decimals)")
    lovelace = int(match.group(1)) * 1_000_000 + int((match.group(2) or "").ljust(6, "0"))
    if lovelace <= 0:
        raise InputError(f"--fund {spec!r}: the amount must be positive")
    _testnet_address(address.strip(), what=f"--fund {spec!r}")
    return address.strip(), lovelace


def _testnet_address(text: str, *, what: str) -> bytes:
    try:
        info = parse_bech32(text)
    except AddressError as exc:
        raise InputError(f"{what}: {exc.message}") from exc
    if info.network_id != NETWORK_ID or info.payment_is_script:
        raise InputError(f"{what}: need a testnet (addr_test) key address")
    return info.raw


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, api: BlockfrostApi) -> None:
        self.api = api
        self.controls: ControlApi | None = None
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "anchor-devnet"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the devnet's stdout belongs to the CLI."""

    def _read_chunked(self) -> bytes | None:
        body = bytearray()
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return bytes(body)
            if len(body) + size > MAX_BODY:
                return None
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is malformed or larger than MAX_BODY."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length > MAX_BODY:
            # Read and discard a moderately oversized body so the client, still sending,
            # receives the 400 instead of a connection reset.
            remaining = length if length <= 16 * MAX_BODY else 0
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
            return None
        if length < 0:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(
                error_response(400, f"request body must be well framed, 0..{MAX_BODY} bytes")
            )
            return
        controls = self.server.controls
        if controls is not None and (
            url.path == CONTROL_PREFIX or url.path.startswith(CONTROL_PREFIX + "/")
        ):
            try:
                response = controls.handle(method, url.path, body)
            except Exception as exc:  # the HTTP boundary, as below
                response = error_response(500, f"devnet internal error: {type(exc).__name__}")
        elif url.path != API_PREFIX and not url.path.startswith(API_PREFIX + "/"):
            response = error_response(404, "The requested component has not been found.")
        else:
            query = parse_qs(url.query, keep_blank_values=True)
            sub = url.path[len(API_PREFIX) :] or "/"
            content_type = self.headers.get("Content-Type")
            try:
                response = self.server.api.handle(method, sub, query, body, content_type)
            except Exception as exc:  # the HTTP boundary: a bug becomes a 500, not a hang
                response = error_response(500, f"devnet internal error: {type(exc).__name__}")
        self._send(response)

    def _send(self, response: Response) -> None:
        payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class RunningDevnet:
    """A devnet serving the Blockfrost API on 127.0.0.1 until :meth:`stop`.

    ``url`` is the API root (``http://127.0.0.1:PORT/api/v0``), what ``--provider-url``
    takes. ``base_url`` omits the version (``.../api``): blockfrost-python and
    pycardano's ``BlockFrostChainContext`` append ``/v0`` themselves, so pass them
    ``base_url``. Usable as a context manager.
    """

    def __init__(
        self,
        state: ChainState,
        *,
        port: int,
        block_time: float | None,
        state_path: Path | None,
        restored: bool,
        test_controls: bool = False,
    ) -> None:
        self.state = state
        self.state_path = state_path
        self.restored = restored
        self.last_save_error: EnvironmentFailure | None = None
        try:
            self._server = _Server(port, BlockfrostApi(state))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise EnvironmentFailure(f"cannot listen on {HOST}:{port}: {reason}") from exc
        self.port: int = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}{API_PREFIX}"
        self.base_url = f"http://{HOST}:{self.port}/api"
        self.control_url: str | None = None
        if test_controls:
            self._server.controls = ControlApi(self)
            self.control_url = f"http://{HOST}:{self.port}{CONTROL_PREFIX}"
        self._stopped = threading.Event()
        self._last_save = time.monotonic()
        self._threads = [threading.Thread(target=self._serve, name="devnet-http", daemon=True)]
        if block_time is not None:
            self._threads.append(
                threading.Thread(
                    target=self._clock, args=(block_time,), name="devnet-clock", daemon=True
                )
            )
        if state_path is not None:
            try:
                save_state(state, state_path)
            except EnvironmentFailure:
                self._server.server_close()
                raise
        for thread in self._threads:
            thread.start()

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.5)

    def _clock(self, block_time: float) -> None:
        while not self._stopped.wait(block_time):
            self.clock_tick()

    def clock_tick(self) -> Block | None:
        """One tick of the block clock: cut a block if the clock has reached a new slot,
        else nothing (so ``--block-time 0.2`` gives at most one block per one-second slot,
        and a block's time is never later than now); the block cut, or None."""
        with self.state.lock:
            if not self.state.slot_due():
                return None
            block = self.state.cut_block()
            # Empty blocks change little; save them at most every few seconds.
            due = time.monotonic() - self._last_save >= _EMPTY_SAVE_INTERVAL
            if block.tx_ids or due:
                try:
                    self.save()
                except EnvironmentFailure as exc:
                    self.last_save_error = exc
                self._last_save = time.monotonic()
        return block

    @property
    def tip(self) -> Block:
        """The latest block."""
        return self.state.tip

    def save(self) -> None:
        """Write the state file now (no-op without ``state_path``)."""
        if self.state_path is not None:
            with self.state.lock:
                save_state(self.state, self.state_path)

    def cut_block(self) -> Block:
        """Cut one block now from the mempool (deterministic; for tests and the clock)."""
        with self.state.lock:
            block = self.state.cut_block()
            self.save()
        return block

    def advance(self, blocks: int = 1) -> Block:
        """Cut ``blocks`` blocks now; return the new tip."""
        if blocks < 1:
            raise ValueError("advance needs at least one block")
        block = self.tip
        for _ in range(blocks):
            block = self.cut_block()
        return block

    def rollback(self, blocks: int) -> Block:
        """Test control: drop the last ``blocks`` blocks; their transactions do not return to
        the mempool (they are simply gone, as after a fork that never saw them). Transactions
        waiting in the mempool stay if still valid on the shorter chain. The new tip."""
        from anchor.devnet.persist import from_json, to_json

        with self.state.lock:
            if not 1 <= blocks < len(self.state.blocks):
                raise ValueError("rollback needs 1 <= blocks < chain length")
            doc = to_json(self.state)
            doc["blocks"] = doc["blocks"][:-blocks]
            doc["tip"] = self.state.blocks[-blocks - 1].hash.hex()
            fresh = from_json(doc, clock=self.state.clock, params=self.state.params)
            for key, value in vars(fresh).items():
                if key not in ("lock", "drop_next", "swallowed"):
                    setattr(self.state, key, value)
            self.save()
            return self.state.tip

    def chain_length(self) -> int:
        """Blocks in the chain, genesis included."""
        with self.state.lock:
            return len(self.state.blocks)

    def drop_next(self, txs: int = 1) -> int:
        """Test control: the next ``txs`` valid new transactions are answered as accepted (200
        and the tx id) and never reach the mempool, nor do later submissions of the same
        transaction; the number of drops now pending."""
        if txs < 1:
            raise ValueError("drop_next needs at least one transaction")
        with self.state.lock:
            self.state.drop_next += txs
            return self.state.drop_next

    def advance_slots(self, slots: int, *, blocks: int = 1) -> Block:
        """Test control: move the clock so the next block is at least ``slots`` slots after
        the tip (and after now), then cut ``blocks`` blocks; the new tip. The clock stays
        shifted: later blocks, and the block clock, carry on from the new time."""
        if slots < 0 or blocks < 0 or (slots == 0 and blocks == 0):
            raise ValueError("advance_slots needs slots >= 0, blocks >= 0, one of them > 0")
        with self.state.lock:
            if slots:
                clock = self.state.clock
                if not isinstance(clock, ShiftedClock):
                    clock = ShiftedClock(clock)
                    self.state.clock = clock
                target = max(self.state.wall_slot(), self.state.tip.slot) + slots
                clock.offset += (target - self.state.wall_slot()) * SLOT_LENGTH
            for _ in range(blocks):
                self.state.cut_block()
            self.save()
            return self.state.tip

    def fund(self, address: str, lovelace: int) -> TxIn:
        """Credit ``lovelace`` to a bech32 testnet address in a new block; return the output."""
        raw = _testnet_address(address, what="fund")
        if lovelace <= 0:
            raise InputError("fund: the amount must be positive")
        with self.state.lock:
            txin = self.state.fund(raw, lovelace)
            self.save()
        return txin

    def stop(self) -> None:
        """Stop the clock and the server, then save the state (idempotent)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        # shutdown() waits for the serve loop's next poll; a throwaway connection wakes
        # the loop at once so stopping takes milliseconds, not a poll interval.
        stopper = threading.Thread(target=self._server.shutdown, name="devnet-stop")
        stopper.start()
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((HOST, self.port), timeout=1).close()
            stopper.join(0.01)
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.save()

    def __enter__(self) -> RunningDevnet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_devnet(
    *,
    port: int = 0,
    funds: Mapping[str, int] | Iterable[tuple[str, int]] = (),
    block_time: float | None = None,
    state_path: Path | None = None,
    clock: Clock = time.time,
    test_controls: bool = False,
) -> RunningDevnet:
    """Start a devnet on 127.0.0.1:``port`` (0: any free port) and return its handle.

    ``funds`` maps bech32 testnet addresses to lovelace for the genesis block of a new
    chain; it is ignored when ``state_path`` exists (the saved chain is restored).
    ``test_controls`` serves the ``/control`` endpoints (:mod:`anchor.devnet.controls`).
    Raises InputError for bad funds, block time or state, EnvironmentFailure if the port
    is taken.
    """
    pairs = list(funds.items()) if isinstance(funds, Mapping) else list(funds)
    genesis = [(_testnet_address(a, what="fund"), amount) for a, amount in pairs]
    if any(amount <= 0 for _, amount in genesis):
        raise InputError("fund: every amount must be positive")
    if sum(amount for _, amount in genesis) > MAX_LOVELACE_SUPPLY:
        raise InputError("fund: the total exceeds the maximum lovelace supply")
    if block_time is not None and not 0 < block_time <= MAX_BLOCK_TIME:  # also NaN and inf
        raise InputError(
            f"block time must be more than 0 and at most {MAX_BLOCK_TIME:g} s, got {block_time}"
        )
    if state_path is not None and state_path.exists():
        state, restored = load_state(state_path, clock=clock), True
    else:
        state, restored = ChainState.create(genesis, clock=clock), False
    return RunningDevnet(
        state,
        port=port,
        block_time=block_time,
        state_path=state_path,
        restored=restored,
        test_controls=test_controls,
    )
