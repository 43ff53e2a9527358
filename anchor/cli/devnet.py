"""``anchor devnet``: run the local Blockfrost-API devnet until interrupted.

Prints the API root URL (what ``--provider-url`` takes) and each funded address to
stdout (``--json``: one object on one line), then serves until Ctrl-C or SIGTERM,
with ``--test-controls`` also the ``/control`` endpoints (:mod:`anchor.devnet.controls`),
saving the chain to ``--state`` if given. Bad flags (a port outside 0..65535, a block
time that is not a positive number of seconds up to an hour, a ``--state`` file in a
folder that does not exist) exit 4 before anything is started.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from anchor.cli._common import emit_json, note, out

_PORT_HELP = "Port on 127.0.0.1 (0 picks a free one)."
_FUND_HELP = "Genesis funds ADDR=ADA for a new chain (repeatable), e.g. addr_test1...=1000."
_BLOCK_HELP = "Seconds between blocks (more than 0, at most 3600); blocks are cut on this clock."
_STATE_HELP = "JSON file to restore the chain from and save it to (atomically, after each block)."
_JSON_HELP = (
    'Print {"url", "port", "restored", "height", "state", "funded", "controls"} as one JSON line.'
)
_CONTROLS_HELP = (
    "Also serve test controls (off by default; 404 without this flag): "
    'POST /control/rollback {"blocks": N} drops the last N blocks (their txs do not return '
    'to the mempool); POST /control/drop-next [{"txs": N}] answers the next valid '
    "transaction as accepted and drops it (resent, it is dropped again: it never lands); "
    'POST /control/advance {"slots": S, "blocks": B} moves the clock S slots past the tip '
    "and cuts B blocks (default 1). For tests of publishers; never on a shared machine."
)


def _ada(lovelace: int) -> str:
    return f"{lovelace // 1_000_000}.{lovelace % 1_000_000:06d}"


def _check_flags(port: int, block_time: float, state: Path | None) -> None:
    from anchor.devnet.server import MAX_BLOCK_TIME
    from anchor.errors import InputError

    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: must be 0..65535")
    if not 0 < block_time <= MAX_BLOCK_TIME:  # also refuses nan and inf
        raise InputError(
            f"--block-time {block_time}: must be positive"
            if not block_time > 0
            else f"--block-time {block_time}: at most {MAX_BLOCK_TIME:g} seconds"
        )
    if state is not None:
        if state.is_dir():
            raise InputError(f"--state {state}: is a directory; give a file name")
        if not state.parent.is_dir():
            raise InputError(f"--state {state}: folder {state.parent} does not exist")


def register(app: typer.Typer) -> None:
    """Add the ``devnet`` command to ``app``."""

    @app.command("devnet")
    def devnet(
        port: Annotated[int, typer.Option("--port", help=_PORT_HELP)] = 8090,
        fund: Annotated[
            list[str] | None, typer.Option("--fund", metavar="ADDR=ADA", help=_FUND_HELP)
        ] = None,
        block_time: Annotated[
            float, typer.Option("--block-time", metavar="SECONDS", help=_BLOCK_HELP)
        ] = 1.0,
        state: Annotated[
            Path | None, typer.Option("--state", metavar="FILE", help=_STATE_HELP)
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
        test_controls: Annotated[
            bool, typer.Option("--test-controls", help=_CONTROLS_HELP)
        ] = False,
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="Print nothing on stderr but errors.")
        ] = False,
    ) -> None:
        """Serve a local Cardano devnet speaking the Blockfrost API (/api/v0) on 127.0.0.1.

        The first line on stdout is the API root to pass as --provider-url. Stop it with
        Ctrl-C or SIGTERM. Exit 4 for bad flags, 5 when the port is taken.

        \b
        Examples:
          anchor keys new -o keys/
          ADDR=$(anchor keys show keys/ --network devnet --json | jq -r .payment_address)
          anchor devnet --fund "$ADDR=100"                 # http://127.0.0.1:8090/api/v0
          anchor devnet --port 0 --json > devnet.json &    # any free port, URL in JSON
          anchor devnet --state chain.json                 # keep the chain across restarts
          anchor devnet --test-controls                    # + rollback/drop/advance on HTTP
          curl -d '{"blocks": 2}' http://127.0.0.1:8090/control/rollback
        """
        from anchor.devnet import parse_fund, start_devnet

        _check_flags(port, block_time, state)
        funds = [parse_fund(spec) for spec in fund or []]
        net = start_devnet(
            port=port,
            funds=funds,
            block_time=block_time,
            state_path=state,
            test_controls=test_controls,
        )
        stop = threading.Event()

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if json_out:
                doc: dict[str, Any] = {
                    "url": net.url,
                    "port": net.port,
                    "restored": net.restored,
                    "height": net.tip.height,
                    "state": None if state is None else str(state),
                    "funded": []
                    if net.restored
                    else [{"address": a, "lovelace": n} for a, n in funds],
                    "controls": net.control_url,
                }
                emit_json(doc)
            else:
                out(net.url)
                if not net.restored:
                    for address, lovelace in funds:
                        out(f"funded {address} {_ada(lovelace)} ADA")
            if net.restored and not quiet:
                note(f"restored chain from {state} at height {net.tip.height}")
                if funds:
                    note("--fund ignored: the saved chain already has its genesis")
            if not quiet:
                note(f"devnet serving the Blockfrost API at {net.url} (Ctrl-C to stop)")
                if net.control_url is not None:
                    note(f"test controls at {net.control_url}: rollback, drop-next, advance")
            warned = False
            while not stop.wait(0.5):
                if net.last_save_error is not None and not warned:
                    warned = True
                    note(f"warning: {net.last_save_error.diagnostics()}")
        finally:
            net.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if state is not None and not quiet:
            note(f"chain saved to {state} at height {net.tip.height}")
        raise typer.Exit(0)
