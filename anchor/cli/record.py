"""`anchor record`: validate and inspect Label 309 record bodies.

``anchor record validate FILE...`` runs the structural validator over raw record-body
CBOR files (``--hex`` for hex text, ``-`` for stdin). With ``--json`` it prints one JSON
object per readable file, one per line, in argument order:
``{"file", "valid", "issues": [{"code", "severity", "path", "message"}]}`` with issues in
the standard's order. Exit 0 when every file is valid, 1 when any is invalid, 4 when any
file is unreadable (its error goes to stderr; the other files still get their line).

``anchor record inspect FILE`` prints a decoded record (hashes hex, URIs, merkle,
supersedes, signatures with their signer key, extension keys); ``--label-309-value``,
``--aux-data`` and ``--tx`` (a whole signed transaction such as a bundle's ``tx.cbor``)
unwrap those carriage forms first; ``--json`` for machines. ``--network`` takes the
same names as every other command (``testnet`` is kept as an alias of the testnets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from anchor.cli._common import emit_json, note, out, read_input_bytes
from anchor.errors import EXIT_FAILED, EXIT_INPUT, EXIT_OK, InputError

if TYPE_CHECKING:
    from anchor.label309.codes import Issue
    from anchor.label309.txbind import TxParts

HexOpt = Annotated[bool, typer.Option("--hex", help="Inputs are hex text, not raw CBOR.")]
NETWORK_CHOICES = ("mainnet", "preprod", "preview", "devnet", "testnet")
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "severity": issue.severity,
        "path": list(issue.path),
        "message": issue.message,
    }


def _issue_line(issue: Issue) -> str:
    return f"  {issue.severity} {issue.code} at {issue.dotted_path()}: {issue.message}"


def record_validate(
    files: Annotated[list[str], typer.Argument(help="Record-body files ('-' for stdin).")],
    hex_text: HexOpt = False,
    json_out: JsonOpt = False,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            click_type=click.Choice(["public", "strict"]),
            help="public (default) or strict (= recipient_or_strict: unknown envelopes fail).",
        ),
    ] = "public",
    supported_crit: Annotated[
        list[str] | None,
        typer.Option("--supported-crit", metavar="NAME", help="A supported critical extension."),
    ] = None,
    max_slots: Annotated[int, typer.Option("--max-slots", min=0, help="maxSlots bound.")] = 1024,
    max_enc_envelope_bytes: Annotated[
        int, typer.Option("--max-enc-envelope-bytes", min=0, help="maxEncEnvelopeBytes bound.")
    ] = 65536,
) -> None:
    """Validate record bodies against the Label 309 structural rules (Part A).

    Exit 0 when every file is valid, 1 when any is invalid, 4 when any is unreadable.
    With --json, one JSON object per file, one per line.

    \b
    Examples:
      anchor record validate evidence/record.cbor
      anchor record validate --json a.cbor b.cbor c.cbor
      echo a4617601... | anchor record validate --hex -
    """
    from anchor.label309.validate import validate_record

    unreadable = invalid = False
    for name in files:
        try:
            body = read_input_bytes(name, hex_text=hex_text)
        except InputError as exc:
            note(f"error: {exc.diagnostics()}")
            unreadable = True
            continue
        result = validate_record(
            body,
            supported_critical_extensions=frozenset(supported_crit or ()),
            role="public" if role == "public" else "recipient_or_strict",
            max_slots=max_slots,
            max_enc_envelope_bytes=max_enc_envelope_bytes,
        )
        invalid = invalid or not result.valid
        if json_out:
            issues = [_issue_json(i) for i in result.issues]
            emit_json({"file": name, "valid": result.valid, "issues": issues})
            continue
        errors = sum(1 for i in result.issues if i.severity == "error")
        others = len(result.issues) - errors
        verdict = "valid" if result.valid else f"invalid ({errors} error(s))"
        out(f"{name}: {verdict}" + (f", {others} warning/info issue(s)" if others else ""))
        for issue in result.issues:
            out(_issue_line(issue))
        if result.extension_keys:
            out(f"  extension keys: {', '.join(result.extension_keys)}")
    raise typer.Exit(EXIT_INPUT if unreadable else EXIT_FAILED if invalid else EXIT_OK)


def _diag(value: Any) -> str:
    """RFC 8949 diagnostic notation of a decoded value (display only)."""
    from anchor.label309.cbor import CborMap

    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_diag(v) for v in value) + "]"
    if isinstance(value, CborMap):
        return "{" + ", ".join(f"{_diag(k)}: {_diag(v)}" for k, v in value.items()) + "}"
    return str(value)


def _unwrap(data: bytes, *, label_value: bool, aux_data: bool, tx: TxParts | None) -> bytes:
    """The record body inside ``data``; ``tx`` is ``data`` already split as a transaction."""
    from anchor.label309 import carriage

    if tx is not None:
        if tx.aux is None:
            raise InputError("the transaction has no auxiliary data (no label 309 record)")
        return carriage.record_body_from_aux(tx.aux)
    if aux_data:
        return carriage.record_body_from_aux(data)
    if label_value:
        return carriage.reassemble(data)
    return data


def _describe(body: bytes, network: str | None) -> dict[str, Any]:
    from anchor.label309 import cbor, cose_verify
    from anchor.label309.record import Record, RecordShapeError
    from anchor.label309.validate import validate_record

    value = cbor.decode(body)  # CborError (MALFORMED_CBOR, exit 4) if not canonical
    result = validate_record(body)
    doc: dict[str, Any] = {
        "size": len(body),
        "valid": result.valid,
        "issues": [_issue_json(i) for i in result.issues],
        "extension_keys": list(result.extension_keys),
    }
    try:
        record = Record.from_value(value)
    except RecordShapeError:
        doc["record_diag"] = _diag(value)
        return doc
    verdicts: dict[int, Any] = {}
    if network is not None:
        checked = cose_verify.verify_signatures(
            body, network="mainnet" if network == "mainnet" else "testnet"
        )  # every network but mainnet uses the testnet address header
        verdicts = {r.index: r for r in checked}
    sigs = []
    for index, entry in enumerate(record.sigs):
        signer = cose_verify.resolve_signer(entry)
        sig: dict[str, Any] = {
            "index": index,
            "signer_type": None if signer is None else signer[0],
            "signer_public_key": None if signer is None else signer[1].hex(),
            "alg": cose_verify.entry_alg(entry),
            "cose_key": entry.cose_key is not None,
        }
        if index in verdicts:
            sig["verified"] = verdicts[index].ok
            sig["code"] = verdicts[index].code
        sigs.append(sig)
    doc["record"] = {
        "v": record.v,
        "items": [
            {
                "hashes": {
                    str(k): v.hex() if isinstance(v, bytes) else _diag(v)
                    for k, v in item.hashes.items()
                },
                "uris": list(item.uris),
                **({"enc": _diag(item.enc)} if item.enc is not None else {}),
            }
            for item in record.items
        ],
        "merkle": [
            {"alg": m.alg, "root": m.root.hex(), "leaf_count": m.leaf_count, "uris": list(m.uris)}
            for m in record.merkle
        ],
        "supersedes": None if record.supersedes is None else record.supersedes.hex(),
        "crit": list(record.crit),
        "extensions": [
            {"key": str(k), "value_diag": _diag(v), "value_cbor_hex": cbor.encode(v).hex()}
            for k, v in record.extensions.items()
        ],
        "sigs": sigs,
    }
    return doc


def _render(name: str, doc: dict[str, Any]) -> None:
    out(f"{name}: Label 309 record body, {doc['size']} bytes")
    if "tx_hash" in doc:
        out(f"  carried by transaction {doc['tx_hash']}")
    rec = doc.get("record")
    if rec is None:
        out(f"  (does not fit the record model) {doc['record_diag']}")
    else:
        out(f"  v: {rec['v']}")
        for i, item in enumerate(rec["items"]):
            out(f"  items[{i}]:")
            for alg, digest in item["hashes"].items():
                out(f"    {alg}: {digest}")
            for uri in item["uris"]:
                out(f"    uri: {uri}")
            if "enc" in item:
                out(f"    enc: {item['enc']}")
        for i, m in enumerate(rec["merkle"]):
            out(f"  merkle[{i}]: {m['alg']} root {m['root']} leaf_count {m['leaf_count']}")
            for uri in m["uris"]:
                out(f"    uri: {uri}")
        if rec["supersedes"]:
            out(f"  supersedes: {rec['supersedes']}")
        if rec["crit"]:
            out(f"  crit: {', '.join(rec['crit'])}")
        for ext in rec["extensions"]:
            out(f"  extension {ext['key']}: {ext['value_diag']}")
        for sig in rec["sigs"]:
            who = sig["signer_public_key"] or "signer key unresolved"
            line = f"  sigs[{sig['index']}]: {sig['signer_type'] or '-'} {who} alg {sig['alg']}"
            if "verified" in sig:
                line += " verified" if sig["verified"] else f" NOT verified ({sig['code']})"
            out(line)
    out(f"  structurally {'valid' if doc['valid'] else 'INVALID'}")
    for issue in doc["issues"]:
        path = ".".join(str(p) for p in issue["path"]) or "(record)"
        out(f"    {issue['severity']} {issue['code']} at {path}: {issue['message']}")


def record_inspect(
    file: Annotated[str, typer.Argument(help="Record body file ('-' for stdin).")],
    hex_text: HexOpt = False,
    json_out: JsonOpt = False,
    label_309_value: Annotated[
        bool, typer.Option("--label-309-value", help="Input is the label-309 chunk array.")
    ] = False,
    aux_data: Annotated[
        bool, typer.Option("--aux-data", help="Input is a transaction's auxiliary data.")
    ] = False,
    tx: Annotated[
        bool,
        typer.Option("--tx", help="Input is a whole signed transaction (e.g. a bundle's tx.cbor)."),
    ] = False,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            click_type=click.Choice(NETWORK_CHOICES),
            help="Also verify signatures as if carried on this network (wallet address header).",
        ),
    ] = None,
) -> None:
    """Show a decoded record: hashes, URIs, merkle, signatures (signer keys), extension keys.

    \b
    Examples:
      anchor record inspect evidence/record.cbor --network preprod
      anchor record inspect evidence/tx.cbor --tx --json
      anchor record inspect value.hex --hex --label-309-value
    """
    switches = {"--label-309-value": label_309_value, "--aux-data": aux_data, "--tx": tx}
    forms = [flag for flag, given in switches.items() if given]
    if len(forms) > 1:
        raise InputError(f"{', '.join(forms)}: give only one input form")
    data = read_input_bytes(file, hex_text=hex_text)
    parts = None
    if tx:
        from anchor.label309.txbind import split_tx

        parts = split_tx(data)
    body = _unwrap(data, label_value=label_309_value, aux_data=aux_data, tx=parts)
    doc = _describe(body, network)
    if parts is not None:
        from anchor.label309.txbind import tx_id

        doc = {"tx_hash": tx_id(parts.body).hex(), **doc}
    if json_out:
        emit_json({"file": file, **doc})
    else:
        _render(file, doc)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the ``record`` command group."""
    group = typer.Typer(
        name="record",
        help="Validate and inspect Label 309 record bodies.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    group.command("validate")(record_validate)
    group.command("inspect")(record_inspect)
    app.add_typer(group, name="record")
