"""`anchor merkle`: the ``rfc9162-sha256`` tree and the leaves-list document from the shell.

* ``root FILE``: check a leaves-list document and print its root;
* ``proof FILE --index I [--json]``: print one leaf's inclusion proof;
* ``verify --leaf H --index I --tree-size N --root H [PROOF_HEX...]``: exit 0 if the proof
  holds, 1 if not (a one-leaf tree has no proof hashes); ``--json`` for machines;
* ``build LEAVES_FILE -o leaves.cbor``: write a leaves-list document from hex leaves, one per
  line, atomically (a failed run leaves any existing output untouched).

A malformed leaves-list exits 4 with one line naming the standard's code. Hex input is
accepted in either case; hex output is lower case. Library modules are imported inside the
commands so that ``anchor --help`` stays fast.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from anchor.cli._common import (
    check_output_path,
    emit_json,
    note,
    out,
    parse_hex_arg,
    read_input_bytes,
    write_file_atomic,
)
from anchor.errors import InputError

merkle_app = typer.Typer(
    name="merkle",
    help="rfc9162-sha256 Merkle tree: roots, inclusion proofs, leaves-list documents.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_HEX_LINE = re.compile(r"(?:0[xX])?([0-9a-fA-F]*)")


def register(app: typer.Typer) -> None:
    """Add the ``merkle`` command group to ``app``."""
    app.add_typer(merkle_app, name="merkle")


@merkle_app.command("root")
def root_command(
    file: Annotated[str, typer.Argument(help="Leaves-list document (leaves.cbor); '-' for stdin.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Check a leaves-list document and print its root (hex).

    \b
    Examples:
      anchor merkle root evidence/leaves.cbor
      anchor merkle root evidence/leaves.cbor --json
    """
    from anchor.merkle.leaves import parse_leaves_list

    doc = parse_leaves_list(read_input_bytes(file))
    if json_out:
        emit_json({"root": doc.root.hex(), "leaf_count": doc.leaf_count, "tree_alg": doc.tree_alg})
    else:
        out(doc.root.hex())


@merkle_app.command("proof")
def proof_command(
    file: Annotated[str, typer.Argument(help="Leaves-list document (leaves.cbor); '-' for stdin.")],
    index: Annotated[int, typer.Option("--index", "-i", help="Leaf index (0-based).")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print {index, tree_size, root, proof}.")
    ] = False,
) -> None:
    """Print the inclusion proof of one leaf (sibling hashes, leaf level first).

    \b
    Examples:
      anchor merkle proof evidence/leaves.cbor --index 3
      anchor merkle proof evidence/leaves.cbor -i 3 --json
    """
    from anchor.merkle.leaves import parse_leaves_list_tree

    _, tree = parse_leaves_list_tree(read_input_bytes(file))
    path = tree.proof(index)
    if json_out:
        emit_json(
            {
                "index": index,
                "tree_size": tree.size,
                "root": tree.root.hex(),
                "proof": [node.hex() for node in path],
            }
        )
        return
    out(f"index: {index}")
    out(f"tree_size: {tree.size}")
    out(f"root: {tree.root.hex()}")
    if not path:
        out("proof: none (one-leaf tree)")
    for k, node in enumerate(path):
        out(f"proof[{k}]: {node.hex()}")


@merkle_app.command("verify")
def verify_command(
    leaf: Annotated[str, typer.Option("--leaf", help="The 32-byte leaf digest (hex).")],
    index: Annotated[int, typer.Option("--index", "-i", help="Leaf index (0-based).")],
    tree_size: Annotated[int, typer.Option("--tree-size", "-n", help="Number of leaves.")],
    root: Annotated[str, typer.Option("--root", help="The expected 32-byte root (hex).")],
    proof: Annotated[
        list[str] | None,
        typer.Argument(
            help="Proof hashes (hex), leaf-level sibling first; none for a one-leaf tree.",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print {valid, index, tree_size, root, reason}."),
    ] = False,
) -> None:
    """Check an inclusion proof: exit 0 if it holds, 1 if it does not.

    The values come straight from a proof file (docs/proof-file.md): --leaf is
    item.sha2-256, then leaf_index, tree_size, root and the path hashes in order.

    \b
    Examples:
      anchor merkle verify --leaf LEAF --index 2 --tree-size 3 --root ROOT PATH0
      anchor merkle verify --leaf LEAF --index 0 --tree-size 1 --root ROOT --json   # no path
    """
    from anchor.merkle.tree import check_inclusion

    hashes = [
        parse_hex_arg(h, what=f"proof hash {k}", length=32) for k, h in enumerate(proof or [])
    ]
    expected = parse_hex_arg(root, what="--root", length=32)
    leaf_digest = parse_hex_arg(leaf, what="--leaf", length=32)
    result = check_inclusion(leaf_digest, index, tree_size, hashes, expected)
    if json_out:
        emit_json(
            {
                "valid": result.ok,
                "index": index,
                "tree_size": tree_size,
                "root": expected.hex(),
                "reason": None if result.ok else result.reason,
            }
        )
    elif result.ok:
        out(f"valid: leaf {index} of {tree_size} is included under root {expected.hex()}")
    else:
        out(f"failed: {result.reason}")
    raise typer.Exit(0 if result.ok else 1)


@merkle_app.command("build")
def build_command(
    leaves_file: Annotated[
        str, typer.Argument(help="Text file of hex leaves, one per line ('-' for stdin).")
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Leaves-list document to write (atomically)."
        ),
    ],
    leaf_alg: Annotated[
        str | None,
        typer.Option(
            "--leaf-alg", metavar="TEXT", help="Informative leaf_alg value. [default: sha2-256]"
        ),
    ] = None,
    no_leaf_alg: Annotated[
        bool, typer.Option("--no-leaf-alg", help="Omit the optional leaf_alg key.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print {output, leaf_count, root}.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No note on stderr.")] = False,
) -> None:
    """Write a leaves-list document from hex leaves, one per line (blank lines ignored).

    \b
    Examples:
      anchor merkle build leaves.txt -o leaves.cbor
      sha256sum dist/* | cut -c1-64 | anchor merkle build - -o leaves.cbor --json
    """
    from anchor.merkle.leaves import DEFAULT_LEAF_ALG, encode_leaves_list
    from anchor.merkle.tree import root_of

    if no_leaf_alg and leaf_alg is not None:
        raise InputError("--leaf-alg and --no-leaf-alg exclude each other")
    _check_build_output(output, leaves_file)
    leaves = _hex_lines(read_input_bytes(leaves_file), leaves_file)
    tree_root = root_of(leaves)
    chosen = None if no_leaf_alg else (DEFAULT_LEAF_ALG if leaf_alg is None else leaf_alg)
    document = encode_leaves_list(leaves, root=tree_root, leaf_alg=chosen)
    _check_build_output(output, leaves_file)
    write_file_atomic(output, document, flag="--output")
    if json_out:
        emit_json({"output": output, "leaf_count": len(leaves), "root": tree_root.hex()})
        return
    if not quiet:
        note(f"wrote {output} ({len(document)} bytes)")
    out(f"{len(leaves)} leaves, root {tree_root.hex()}")


def _check_build_output(output: str, leaves_file: str) -> None:
    """``-o`` writes only a regular file (never a device, FIFO or symlink), never the input."""
    from anchor.fsutil import output_refusal

    check_output_path(output, flag="--output")
    why = output_refusal(output, inputs=[leaves_file] if leaves_file != "-" else [])
    if why is not None:
        raise InputError(f"cannot write {output} (--output): {why}")


def _plain_hex_lines(raw: bytes) -> list[bytes] | None:
    """The leaves when every line is exactly 64 hex digits (``\\n`` ends, the last optional),
    parsed in one ``binascii.unhexlify`` over the joined lines; None for anything else
    (blank lines, ``0x``, spaces, ``\\r``, bad digits), which the line-by-line parser handles.

    Same result as that parser for the inputs it accepts, without per-line Python work
    beyond one split and one slice per leaf (the hex parsing dominated ``merkle build``).
    """
    import binascii

    lines = raw.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if not lines or set(map(len, lines)) != {64}:
        return None
    try:
        blob = binascii.unhexlify(b"".join(lines))
    except binascii.Error:
        return None
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _hex_lines(raw: bytes, name: str) -> list[bytes]:
    """One 32-byte leaf per non-blank line; the first bad line is named (1-based)."""
    plain = _plain_hex_lines(raw)
    if plain is not None:
        return plain
    leaves = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        match = _HEX_LINE.fullmatch(text)
        if match is None or len(match.group(1)) % 2:
            raise InputError(f"{name} line {number}: not hex")
        digits = match.group(1)
        if len(digits) != 64:
            raise InputError(f"{name} line {number}: {len(digits) // 2} bytes, a leaf is 32")
        leaves.append(bytes.fromhex(digits))
    if not leaves:
        raise InputError(f"{name}: no leaves (a Merkle tree needs at least one)")
    return leaves
