"""`anchor spool`: cadence publishing — many jobs add items, one job anchors each window.

Subcommands: ``init``, ``add``, ``publish``, ``seal``, ``status``, ``proof``, ``export``,
``serve`` (see docs/spool.md). The store is ``--db`` / ``ANCHOR_SPOOL_DB`` (``sqlite:PATH``,
default ``sqlite:anchor-spool.db``, or ``postgresql://…``). ``publish`` takes the
network, provider and key options and environment variables of `anchor publish`.

Exit codes: 0 ok; 3 ``proof`` of an item still pending; 4 bad input (one line, nothing
added); 5 environment (database down or newer, lease held, provider down, no funds,
a blocked window).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from anchor.cli._common import emit_json, note, out

spool_app = typer.Typer(
    name="spool",
    help="Cadence publishing: one anchor per window for items added all day.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", metavar="URL", help="sqlite:PATH or postgresql://… (env ANCHOR_SPOOL_DB)."
    ),
]
SpoolOpt = Annotated[str, typer.Option("--spool", metavar="NAME", help="Spool name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]
DirOpt = Annotated[
    str | None,
    typer.Option("--dir", metavar="DIR", help="Window bundles folder (env ANCHOR_SPOOL_DIR)."),
]


def _open(db: str | None, spool: str) -> tuple[Any, Any]:
    from anchor.publish.spool.api import open_store

    store = open_store(db)
    return store, store.spool(spool)


@spool_app.command("init")
def init(
    network: Annotated[
        str, typer.Option("--network", "-n", envvar="ANCHOR_NETWORK", help="Cardano network.")
    ] = "devnet",
    confirmations: Annotated[
        int | None,
        typer.Option("--confirmations", min=1, help="Depth for anchored (15; devnet 1)."),
    ] = None,
    ttl_slots: Annotated[int, typer.Option("--ttl-slots", min=60, help="TTL in slots.")] = 1800,
    final_depth: Annotated[
        int | None, typer.Option("--final-depth", min=1, help="Depth for final (k: 2160).")
    ] = None,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Create the spool (and the database schema); running it again changes nothing."""
    from anchor.chain.network import network_by_name
    from anchor.publish.spool.api import open_store
    from anchor.publish.spool.machine import FINAL_DEPTH

    net = network_by_name(network)
    store = open_store(db)
    made, created = store.create_spool(
        spool,
        network=net.name,
        confirmations=confirmations or net.default_confirmations,
        ttl_slots=ttl_slots,
        final_depth=final_depth or FINAL_DEPTH[net.name],
    )
    doc = {"spool": made.name, "network": made.network, "confirmations": made.confirmations,
           "ttl_slots": made.ttl_slots, "final_depth": made.final_depth, "created": created}  # fmt: skip
    if json_out:
        emit_json(doc)
    else:
        verb = "created" if created else "already exists:"
        out(f"spool {made.name} {verb} {made.network}, {made.confirmations} confirmation(s)")


@spool_app.command("add")
def add(
    files: Annotated[
        list[str] | None, typer.Argument(metavar="FILE...", help="Files to add.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Item name.")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", metavar="HEX", help="Digest.")] = None,
    from_file: Annotated[
        str | None, typer.Option("--from-file", metavar="LIST.jsonl", help="JSONL, '-' stdin.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Default: the CI identity.")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            metavar="URL",
            envvar="ANCHOR_SPOOL_SERVER",
            help="Add through `anchor spool serve` with the job's OIDC token.",
        ),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            metavar="A",
            envvar="ANCHOR_SPOOL_AUDIENCE",
            help="Token audience for --server (default: the server URL).",
        ),
    ] = None,
    token_file: Annotated[
        str | None,
        typer.Option("--token-file", metavar="F", help="With --server: the OIDC token's file."),
    ] = None,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Add items to the open window; exit 0 only after a durable commit."""
    from anchor.errors import InputError
    from anchor.publish.spool import api, machine
    from anchor.publish.spool.store import NewItem

    if server is None and token_file is not None:
        raise InputError("--token-file goes with --server")
    if server is not None and source is not None:
        raise InputError("--source does not go with --server: the server takes it from the token")
    if server is not None and db is not None:
        raise InputError("--db does not go with --server: the server has its own store")
    if server is not None:
        src = "server"  # placeholder: the server derives the source from the token
    else:
        src = api.check_source(source) if source is not None else api.default_source(os.environ)
    given = sum(bool(x) for x in (files, sha256, from_file))
    if given != 1:
        raise InputError("give FILE..., --sha256 HEX --name N, or --from-file LIST.jsonl")
    if sha256 is not None:
        if name is None:
            raise InputError("--sha256 needs --name")
        items = [NewItem(src, machine.check_name(name), machine.check_digest(sha256))]
    elif from_file is not None:
        if name is not None:
            raise InputError("--name does not go with --from-file (each line names its item)")
        if from_file == "-":
            items = api.from_jsonl(sys.stdin, label="stdin", source=src)
        else:
            try:
                with open(from_file, encoding="utf-8") as fh:
                    items = api.from_jsonl(fh, label=from_file, source=src)
            except OSError as exc:
                raise InputError(f"cannot read {from_file}: {exc.strerror}") from exc
            except UnicodeDecodeError as exc:
                raise InputError(f"{from_file}: not UTF-8 text") from exc
    else:
        items = api.from_files(files or [], name=name, source=src)
    if server is not None:
        rows = _add_remote(server, audience, token_file, spool, items)
    else:
        store, sp = _open(db, spool)
        rows = api.added_json(store.add(sp, items))
    for lines in api.added_lines(rows, json_out=json_out):
        out(lines)


def _add_remote(
    server: str, audience: str | None, token_file: str | None, spool: str, items: list[Any]
) -> list[dict[str, Any]]:
    from anchor.attest.ci import find_token
    from anchor.chain.readers import HttpxClient
    from anchor.cli._common import read_input_bytes
    from anchor.publish.spool.client import add_items, check_server_url

    url = check_server_url(server)
    raw = read_input_bytes(token_file) if token_file is not None else None
    client = HttpxClient(timeout=60.0)
    try:
        token, _origin = find_token(
            dict(os.environ), key_audience=audience or url, token_file=raw, client=client
        )
        return add_items(url, spool, items, token=token, client=client)
    finally:
        client.close()


@spool_app.command("serve")
def serve(
    oidc_issuer: Annotated[
        str,
        typer.Option(
            "--oidc-issuer", metavar="URL", envvar="ANCHOR_OIDC_ISSUER", help="Trusted issuer."
        ),
    ],
    audience: Annotated[
        str, typer.Option("--audience", metavar="A", help="The aud every token must carry.")
    ],
    allow: Annotated[
        list[str],
        typer.Option(
            "--allow",
            metavar="GLOB",
            help="Repositories to take items from, e.g. 'github.com/acme/*' (repeatable).",
        ),
    ],
    listen: Annotated[
        str, typer.Option("--listen", metavar="HOST:PORT", help="Address to listen on.")
    ] = "127.0.0.1:8095",
    db: DbOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No request log.")] = False,
) -> None:
    """Serve `spool add` over HTTP; each item's source comes from the job's verified OIDC token."""
    import signal
    import threading

    from anchor.publish.spool.service import start_service

    running = start_service(
        issuer=oidc_issuer,
        audience=audience,
        allow=allow,
        db=db,
        listen=listen,
        log=None if quiet else note,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    note(f"spool server on {running.url} (issuer {oidc_issuer}, audience {audience})")
    try:
        stop.wait()
    finally:
        running.stop()


@spool_app.command("publish")
def publish(
    every: Annotated[str, typer.Option("--every", metavar="1h|1d|release", help="Cadence.")],
    wait: Annotated[bool, typer.Option("--wait", help="Until every window is anchored.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1.0, help="Seconds for --wait.")
    ] = 900.0,
    skip_if_locked: Annotated[
        bool, typer.Option("--skip-if-locked", help="Exit 0 when another publisher runs.")
    ] = False,
    network: Annotated[
        str | None,
        typer.Option("--network", "-n", envvar="ANCHOR_NETWORK", help="Must match the spool."),
    ] = None,
    provider_url: Annotated[str | None, typer.Option("--provider-url", metavar="URL")] = None,
    identity_seed: Annotated[
        str | None,
        typer.Option("--identity-seed", metavar="FILE", help="Else $ANCHOR_IDENTITY_SEED."),
    ] = None,
    payment_key: Annotated[
        str | None,
        typer.Option(
            "--payment-key", "--payment-skey", metavar="FILE", help="Else $ANCHOR_PAYMENT_SKEY."
        ),
    ] = None,
    unsigned: Annotated[
        bool, typer.Option("--unsigned", help="Records without a signature.")
    ] = False,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    work: DirOpt = None,
    json_out: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
) -> None:
    """One pass: seal due windows, sign/submit/confirm each unfinished one (--wait: repeat)."""
    from anchor.publish.spool import api, machine
    from anchor.publish.spool import store as st

    cadence = machine.parse_cadence(every)
    store, sp = _open(db, spool)
    publisher = _publisher(store, sp, network, provider_url, identity_seed, payment_key,
                           unsigned, db, work, quiet)  # fmt: skip
    try:
        publisher.run(
            cadence=cadence, wait=wait, timeout=timeout, poll=publisher.network.poll_interval
        )
    except st.LeaseHeld as exc:
        if not skip_if_locked:
            raise
        note(f"skipped: {exc.message}")
        return
    rows = api.status(store, sp)
    if json_out:
        emit_json(
            {"spool": sp.name, "changes": [list(c) for c in publisher.changes], "windows": rows}
        )
    else:
        for row in rows:
            out(_status_line(row))


def _publisher(store: Any, sp: Any, network: str | None, provider_url: str | None,
               identity_seed: str | None, payment_key: str | None, unsigned: bool,
               db: str | None, work: str | None, quiet: bool) -> Any:  # fmt: skip
    from anchor.chain.blockfrost import PROJECT_ID_ENV, BlockfrostProvider
    from anchor.chain.keys import load_identity_seed, load_payment_key
    from anchor.chain.network import network_by_name
    from anchor.chain.readers import HttpxClient
    from anchor.errors import InputError
    from anchor.publish.spool.api import work_dir
    from anchor.publish.spool.publisher import Publisher, holder_name
    from anchor.publish.spool.reader import SpoolReader

    net = network_by_name(sp.network)
    if network is not None and network_by_name(network).name != net.name:
        raise InputError(f"--network {network}, but spool {sp.name!r} publishes on {net.name}")
    if unsigned and identity_seed is not None:
        raise InputError("--unsigned and --identity-seed exclude each other")
    seed = None if unsigned else load_identity_seed(identity_seed)
    pay = load_payment_key(payment_key)
    url = provider_url or net.blockfrost_url
    provider = BlockfrostProvider.for_network(net, provider_url=provider_url)
    reader = SpoolReader(
        url, client=HttpxClient(), project_id=os.environ.get(PROJECT_ID_ENV) or None
    )
    return Publisher(
        store=store, spool=sp, network=net, provider=provider, reader=reader, payment_key=pay,
        identity_seed=seed, work_dir=work_dir(db, work), holder=holder_name(),
        on_event=None if quiet else note,
    )  # fmt: skip


@spool_app.command("seal")
def seal(
    label: Annotated[str | None, typer.Option("--label", help="e.g. v1.2")] = None,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    work: DirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Cut the open window now (the release cadence); an empty window needs no transaction."""
    from anchor.publish.spool.api import status, work_dir
    from anchor.publish.spool.publisher import Publisher, holder_name

    store, sp = _open(db, spool)
    publisher = Publisher(
        store=store, spool=sp, network=None, provider=None, reader=None, payment_key=None,  # type: ignore[arg-type]
        identity_seed=None, work_dir=work_dir(db, work), holder=holder_name(),
    )  # fmt: skip
    window = publisher.seal_now(label)
    row = next(r for r in status(store, sp) if window is not None and r["window"] == window.seq)
    if json_out:
        emit_json(row)
    else:
        out(_status_line(row))


def _status_line(row: dict[str, Any]) -> str:
    tail = f" tx {row['tx_hash']}" if row["tx_hash"] else ""
    depth = f" depth {row['depth']}" if row["depth"] else ""
    return f"window {row['window']} {row['state']} {row['items']} item(s){tail}{depth}"


@spool_app.command("status")
def status_cmd(db: DbOpt = None, spool: SpoolOpt = "default", json_out: JsonOpt = False) -> None:
    """Every window: state, items, transaction, depth."""
    from anchor.publish.spool.api import status

    store, sp = _open(db, spool)
    rows = status(store, sp)
    if json_out:
        emit_json({"spool": sp.name, "network": sp.network, "windows": rows})
    else:
        for row in rows:
            out(_status_line(row))


@spool_app.command("proof")
def proof(
    item_id: Annotated[str | None, typer.Argument(metavar="ITEM_ID")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", metavar="HEX")] = None,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    work: DirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The item's proof file, tx hash, block and depth (exit 3 while pending)."""
    from anchor.errors import EXIT_PENDING, InputError
    from anchor.publish.spool import api, export, machine

    if (item_id is None) == (sha256 is None):
        raise InputError("give ITEM_ID or --sha256 HEX")
    store, sp = _open(db, spool)
    digest = machine.check_digest(sha256) if sha256 is not None else None
    item = store.item(sp, item_id=item_id.lower() if item_id else None, digest=digest)
    if item is None:
        raise InputError(f"no item {item_id or sha256} in spool {sp.name!r}")
    window = next(w for w in store.windows(sp) if w.id == item.window_id)
    leaf = store.leaf_index(item)
    path = None
    if window.state in (machine.ANCHORED, machine.FINAL):
        dest = api.work_dir(db, work) / f"window-{window.seq:06d}"
        attempts = [a for a in store.attempts(window.id) if a.tx_id == window.tx_id]
        path = export.write_item_proof(store, sp, window, item, leaf, attempts[0], dest).absolute()
    info = api.ProofInfo(item, window, leaf, path)
    if json_out:
        emit_json(info.to_json())
    elif info.anchored:
        out(f"proof  {path}")
        out(f"tx     {window.tx_id}")
        out(f"block  {window.block_height} ({window.block_hash}), depth {window.depth}")
    else:
        out(f"{item.item_id} pending in window {window.seq} ({window.state})")
    if not info.anchored:
        raise typer.Exit(EXIT_PENDING)


@spool_app.command("export")
def export_cmd(
    window: Annotated[int, typer.Argument(metavar="WINDOW", help="Window number.")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Bundle folder.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a different bundle.")] = False,
    db: DbOpt = None,
    spool: SpoolOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Write the window as an ordinary evidence bundle that `anchor verify` checks."""
    from anchor.errors import InputError
    from anchor.publish.spool import export

    store, sp = _open(db, spool)
    found = store.window(sp, window)
    if found is None:
        raise InputError(f"spool {sp.name!r} has no window {window}")
    if found.root is None:
        raise export.WindowNotSealed(f"window {found.seq} is {found.state}: it has no bundle")
    attempts = [a for a in store.attempts(found.id) if a.tx_id == found.tx_id]
    export.export_window(sp, found, store.window_rows(found.id),
                         attempts[0] if attempts else None, output, force=force)  # fmt: skip
    if json_out:
        emit_json({"window": found.seq, "state": found.state, "bundle": str(output)})
    else:
        out(f"window {found.seq} ({found.state}) written to {output}")


def register(app: typer.Typer) -> None:
    """Add the ``spool`` command group to ``app``."""
    app.add_typer(spool_app, name="spool")
