"""``anchor devnet``: run the local Blockfrost-API devnet until interrupted.

Prints the API root URL (what ``--provider-url`` takes) and each funded address to
stdout, then serves until Ctrl-C or SIGTERM, saving the chain to ``--state`` if given.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from anchor.cli._common import note, out

_PORT_HELP = "Port on 127.0.0.1 (0 picks a free one)."
_FUND_HELP = "Genesis funds ADDR=ADA for a new chain (repeatable), e.g. addr_test1...=1000."
_BLOCK_HELP = "Seconds between blocks; blocks are cut on this clock, empty or not."
_STATE_HELP = "JSON file to restore the chain from and save it to (atomically, after each block)."


def register(app: typer.Typer) -> None:
    """Add the ``devnet`` command to ``app``."""

    @app.command("devnet")
    def devnet(
        port: Annotated[int, typer.Option("--port", help=_PORT_HELP)] = 8090,
        fund: Annotated[list[str] | None, typer.Option("--fund", help=_FUND_HELP)] = None,
        block_time: Annotated[float, typer.Option("--block-time", help=_BLOCK_HELP)] = 1.0,
        state: Annotated[Path | None, typer.Option("--state", help=_STATE_HELP)] = None,
    ) -> None:
        """Serve a local Cardano devnet speaking the Blockfrost API (/api/v0) on 127.0.0.1."""
        from anchor.devnet import parse_fund, start_devnet
        from anchor.errors import InputError

        if not 0 <= port <= 65535:
            raise InputError(f"--port {port}: must be 0..65535")
        if not block_time > 0:
            raise InputError(f"--block-time {block_time}: must be positive")
        funds = [parse_fund(spec) for spec in fund or []]
        net = start_devnet(port=port, funds=funds, block_time=block_time, state_path=state)
        stop = threading.Event()

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            out(net.url)
            if net.restored:
                note(f"restored chain from {state} at height {net.tip.height}")
                if funds:
                    note("--fund ignored: the saved chain already has its genesis")
            else:
                for address, lovelace in funds:
                    ada = f"{lovelace // 1_000_000}.{lovelace % 1_000_000:06d}"
                    out(f"funded {address} {ada} ADA")
            note(f"devnet serving the Blockfrost API at {net.url} (Ctrl-C to stop)")
            while not stop.wait(0.5):
                pass
        finally:
            net.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if state is not None:
            note(f"chain saved to {state} at height {net.tip.height}")
        raise typer.Exit(0)
