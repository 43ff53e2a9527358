"""`anchor merkle root|proof|verify|build`: exit codes 0/1/4 and exact output."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anchor.label309 import cbor
from anchor.merkle.leaves import encode_leaves_list
from anchor.merkle.tree import MerkleTree, leaf_hash

# typer 0.23 imports click.utils.get_binary_stream/get_text_stream, which click 8.5 marks
# deprecated; with warnings as errors that import would fail inside run_cli.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

Run = Callable[..., Any]
_RNG = random.Random(309)
LEAVES = [_RNG.randbytes(32) for _ in range(7)]
assert len(set(LEAVES)) == 7
TREE = MerkleTree(LEAVES)
ROOT = TREE.root.hex()


@pytest.fixture
def leaves_cbor(tmp_path: Path) -> Path:
    path = tmp_path / "leaves.cbor"
    path.write_bytes(encode_leaves_list(LEAVES))
    return path


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- root ---------------------------------------------------------------------------------


def test_root_prints_the_root(run_cli: Run, leaves_cbor: Path) -> None:
    r = run_cli(["merkle", "root", leaves_cbor])
    assert (r.exit_code, r.stdout, r.stderr) == (0, ROOT + "\n", "")


def test_root_json(run_cli: Run, leaves_cbor: Path) -> None:
    r = run_cli(["merkle", "root", leaves_cbor, "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"root": ROOT, "leaf_count": 7, "tree_alg": "rfc9162-sha256"}


def test_root_from_stdin(run_cli: Run) -> None:
    r = run_cli(["merkle", "root", "-"], input=encode_leaves_list(LEAVES))
    assert (r.exit_code, r.stdout) == (0, ROOT + "\n")


def _doc(**changes: Any) -> bytes:
    doc: dict[str, Any] = {
        "format": "cardano-poe-merkle-leaves-v1",
        "tree_alg": "rfc9162-sha256",
        "root": TREE.root,
        "leaves": LEAVES,
        "leaf_count": 7,
    }
    doc.update(changes)
    return cbor.encode(doc)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x83\x01\x02\x03", "SCHEMA_MERKLE_LEAVES_MALFORMED"),
        (b"", "SCHEMA_MERKLE_LEAVES_MALFORMED"),
        (_doc(format="cardano-poe-merkle-leaves-v2"), "SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED"),
        (_doc(leaf_count=8), "SCHEMA_MERKLE_LEAF_COUNT_MISMATCH"),
        (_doc(root=bytes(32)), "MERKLE_ROOT_MISMATCH"),
        (
            b"example.com/log\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
            "MERKLE_UNSUPPORTED",
        ),
    ],
)
def test_malformed_leaves_list_exits_4_naming_the_code(
    run_cli: Run, tmp_path: Path, data: bytes, code: str
) -> None:
    path = tmp_path / "doc.cbor"
    path.write_bytes(data)
    for args in (["merkle", "root", path], ["merkle", "proof", path, "--index", "0"]):
        r = run_cli(args)
        assert r.exit_code == 4
        assert r.stdout == ""
        assert one_line(r.stderr).startswith(f"error: {code}: leaves-list: ")


def test_root_unreadable_file_exits_4(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["merkle", "root", tmp_path / "missing.cbor"])
    assert r.exit_code == 4
    assert (
        one_line(r.stderr)
        == f"error: cannot read {tmp_path / 'missing.cbor'}: No such file or directory"
    )


# --- proof --------------------------------------------------------------------------------


def test_proof_json(run_cli: Run, leaves_cbor: Path) -> None:
    r = run_cli(["merkle", "proof", leaves_cbor, "--index", "6", "--json"])
    assert r.exit_code == 0
    expected = {
        "index": 6,
        "tree_size": 7,
        "root": ROOT,
        "proof": [p.hex() for p in TREE.proof(6)],
    }
    assert r.stdout == json.dumps(expected, separators=(",", ":")) + "\n"


def test_proof_readable(run_cli: Run, leaves_cbor: Path) -> None:
    r = run_cli(["merkle", "proof", leaves_cbor, "-i", "2"])
    assert r.exit_code == 0
    path = TREE.proof(2)
    assert r.stdout == (
        f"index: 2\ntree_size: 7\nroot: {ROOT}\n"
        f"proof[0]: {path[0].hex()}\nproof[1]: {path[1].hex()}\nproof[2]: {path[2].hex()}\n"
    )


def test_proof_of_a_one_leaf_tree(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "one.cbor"
    path.write_bytes(encode_leaves_list(LEAVES[:1]))
    root = leaf_hash(LEAVES[0]).hex()
    r = run_cli(["merkle", "proof", path, "--index", "0"])
    assert (r.exit_code, r.stdout) == (
        0,
        f"index: 0\ntree_size: 1\nroot: {root}\nproof: none (one-leaf tree)\n",
    )
    r = run_cli(["merkle", "proof", path, "--index", "0", "--json"])
    assert json.loads(r.stdout) == {"index": 0, "tree_size": 1, "root": root, "proof": []}


@pytest.mark.parametrize("index", ["7", "-1"])
def test_proof_index_out_of_range_exits_4(run_cli: Run, leaves_cbor: Path, index: str) -> None:
    r = run_cli(["merkle", "proof", leaves_cbor, "--index", index])
    assert r.exit_code == 4
    assert one_line(r.stderr) == f"error: leaf index {index} is outside a tree of 7 leaves"


def test_proof_missing_index_is_a_usage_error(run_cli: Run, leaves_cbor: Path) -> None:
    r = run_cli(["merkle", "proof", leaves_cbor])
    assert r.exit_code == 4
    assert "--index" in r.stderr


# --- verify -------------------------------------------------------------------------------


def verify_args(
    index: int, *, leaf: bytes | None = None, size: int = 7, root: str = ROOT
) -> list[Any]:
    leaf = LEAVES[index] if leaf is None else leaf
    return [
        "merkle",
        "verify",
        "--leaf",
        leaf.hex(),
        "--index",
        index,
        "--tree-size",
        size,
        "--root",
        root,
    ]


def test_verify_valid_exits_0(run_cli: Run) -> None:
    for index in range(7):
        r = run_cli([*verify_args(index), *(p.hex() for p in TREE.proof(index))])
        assert (r.exit_code, r.stderr) == (0, "")
        assert r.stdout == f"valid: leaf {index} of 7 is included under root {ROOT}\n"


def test_verify_accepts_upper_case_hex(run_cli: Run) -> None:
    args = [a.upper() if isinstance(a, str) and len(a) == 64 else a for a in verify_args(3)]
    r = run_cli([*args, *(p.hex().upper() for p in TREE.proof(3))])
    assert r.exit_code == 0
    assert r.stdout == f"valid: leaf 3 of 7 is included under root {ROOT}\n"


def test_verify_single_leaf_tree_with_no_proof_arguments(run_cli: Run) -> None:
    root = leaf_hash(LEAVES[0]).hex()
    r = run_cli(verify_args(0, size=1, root=root))
    assert (r.exit_code, r.stdout) == (0, f"valid: leaf 0 of 1 is included under root {root}\n")
    r = run_cli(verify_args(0, size=1, root=LEAVES[0].hex()))
    assert r.exit_code == 1
    assert r.stdout.startswith("failed: the proof leads to root ")


def test_verify_tampered_proof_exits_1(run_cli: Run) -> None:
    path = [p.hex() for p in TREE.proof(5)]
    path[1] = "00" * 32
    r = run_cli([*verify_args(5), *path])
    assert r.exit_code == 1
    computed = one_line(r.stdout).split()[6].rstrip(",")
    assert r.stdout == f"failed: the proof leads to root {computed}, not {ROOT}\n"
    assert computed != ROOT


def test_verify_wrong_leaf_or_index_exits_1(run_cli: Run) -> None:
    path = [p.hex() for p in TREE.proof(5)]
    assert run_cli([*verify_args(5, leaf=LEAVES[4]), *path]).exit_code == 1
    assert run_cli([*verify_args(4, leaf=LEAVES[5]), *path]).exit_code == 1


def test_verify_wrong_length_or_index_past_the_tree_exits_1(run_cli: Run) -> None:
    path = [p.hex() for p in TREE.proof(5)]
    r = run_cli([*verify_args(5), *path[:2]])
    assert (r.exit_code, r.stdout) == (
        1,
        "failed: the proof has 2 hashes; leaf 5 of a 7-leaf tree needs 3\n",
    )
    r = run_cli([*verify_args(5, size=5), *path])
    assert (r.exit_code, r.stdout) == (1, "failed: leaf index 5 is outside a tree of 5\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"leaf": "zz"}, "error: --leaf: not hex: 'zz'"),
        ({"root": "00" * 31}, "error: --root: expected 32 bytes, got 31"),
        ({"size": 0}, "error: tree size must be between 1 and 4294967295, got 0"),
        ({"index": -1}, "error: leaf index must not be negative, got -1"),
        ({"proof": ["abc"]}, "error: proof hash 0: not hex: 'abc'"),
    ],
)
def test_verify_bad_input_exits_4(run_cli: Run, change: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "leaf": LEAVES[1].hex(),
        "index": 1,
        "size": 7,
        "root": ROOT,
        "proof": [],
    }
    args.update(change)
    r = run_cli(
        [
            "merkle", "verify", "--leaf", args["leaf"], "--index", args["index"],
            "--tree-size", args["size"], "--root", args["root"], *args["proof"],
        ]
    )  # fmt: skip
    assert (r.exit_code, r.stdout) == (4, "")
    assert one_line(r.stderr) == message


def test_verify_missing_option_is_a_usage_error(run_cli: Run) -> None:
    r = run_cli(["merkle", "verify", "--leaf", LEAVES[0].hex(), "--index", "0", "--tree-size", "1"])
    assert r.exit_code == 4
    assert "--root" in r.stderr


# --- build --------------------------------------------------------------------------------


def test_build_writes_the_leaves_list(run_cli: Run, tmp_path: Path) -> None:
    text = "\n".join(leaf.hex().upper() if i % 2 else leaf.hex() for i, leaf in enumerate(LEAVES))
    src = tmp_path / "leaves.txt"
    src.write_text("\n" + text.replace("\n", "\n\n  ", 1) + "\r\n\n")
    out = tmp_path / "leaves.cbor"
    r = run_cli(["merkle", "build", src, "-o", out])
    assert r.exit_code == 0
    assert r.stdout == f"7 leaves, root {ROOT}\n"
    assert r.stderr == f"wrote {out} ({len(out.read_bytes())} bytes)\n"
    assert out.read_bytes() == encode_leaves_list(LEAVES)
    # and the result reads back
    assert run_cli(["merkle", "root", out]).stdout == ROOT + "\n"


def test_build_options(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "leaves.txt"
    src.write_text("".join(f"0x{leaf.hex()}\n" for leaf in LEAVES))
    out = tmp_path / "a.cbor"
    r = run_cli(["merkle", "build", src, "--output", out, "--no-leaf-alg", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"output": str(out), "leaf_count": 7, "root": ROOT}
    assert out.read_bytes() == encode_leaves_list(LEAVES, leaf_alg=None)
    r = run_cli(["merkle", "build", src, "-o", out, "--leaf-alg", "blake2b-256"])
    assert r.exit_code == 0
    assert out.read_bytes() == encode_leaves_list(LEAVES, leaf_alg="blake2b-256")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{a}\n\n{b}\nnot-hex\n", "line 4: not hex"),
        ("{a}\n{b}0\n", "line 2: not hex"),
        ("{a}\n\n{short}\n", "line 3: 31 bytes, a leaf is 32"),
        ("{a}{b}\n", "line 1: 64 bytes, a leaf is 32"),
        ("\n  \n", ": no leaves (a Merkle tree needs at least one)"),
        ("{a} {b}\n", "line 1: not hex"),
    ],
)
def test_build_bad_lines_exit_4(run_cli: Run, tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "leaves.txt"
    src.write_text(content.format(a=LEAVES[0].hex(), b=LEAVES[1].hex(), short=LEAVES[2].hex()[:62]))
    out = tmp_path / "never.cbor"
    r = run_cli(["merkle", "build", src, "-o", out])
    assert (r.exit_code, r.stdout) == (4, "")
    assert one_line(r.stderr) == f"error: {src}{' ' if message.startswith('line') else ''}{message}"
    assert not out.exists()


def test_build_unwritable_output_exits_4(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "leaves.txt"
    src.write_text(LEAVES[0].hex() + "\n")
    r = run_cli(["merkle", "build", src, "-o", tmp_path / "no" / "such" / "dir.cbor"])
    assert r.exit_code == 4
    assert one_line(r.stderr).startswith("error: cannot write ")


def test_merkle_help_lists_the_commands(run_cli: Run) -> None:
    r = run_cli(["merkle", "--help"])
    assert r.exit_code == 0
    for command in ("root", "proof", "verify", "build"):
        assert command in r.stdout


# --- --json for verify; build refuses conflicting flags and never half-writes --------------


def test_verify_json_valid_and_failed(run_cli: Run) -> None:
    path = [p.hex() for p in TREE.proof(3)]
    r = run_cli([*verify_args(3), *path, "--json"])
    assert (r.exit_code, r.stderr) == (0, "")
    assert json.loads(r.stdout) == {
        "valid": True,
        "index": 3,
        "tree_size": 7,
        "root": ROOT,
        "reason": None,
    }
    r = run_cli([*verify_args(3), *path[:1], "--json"])
    assert (r.exit_code, r.stderr) == (1, "")
    assert json.loads(r.stdout) == {
        "valid": False,
        "index": 3,
        "tree_size": 7,
        "root": ROOT,
        "reason": "the proof has 1 hashes; leaf 3 of a 7-leaf tree needs 3",
    }
    assert len(r.stdout.splitlines()) == 1


def test_build_conflicting_leaf_alg_flags_exit_4(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "leaves.txt"
    src.write_text(LEAVES[0].hex() + "\n")
    out = tmp_path / "out.cbor"
    r = run_cli(["merkle", "build", src, "-o", out, "--leaf-alg", "x", "--no-leaf-alg"])
    assert (r.exit_code, r.stdout) == (4, "")
    assert one_line(r.stderr) == "error: --leaf-alg and --no-leaf-alg exclude each other"
    assert not out.exists()


def test_build_bad_input_leaves_the_existing_output_untouched(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "leaves.cbor"
    out.write_bytes(b"the previous document")
    src = tmp_path / "leaves.txt"
    src.write_text(LEAVES[0].hex() + "\nnot hex\n")
    r = run_cli(["merkle", "build", src, "-o", out])
    assert (r.exit_code, one_line(r.stderr)) == (4, f"error: {src} line 2: not hex")
    assert out.read_bytes() == b"the previous document"
    src.write_text("".join(leaf.hex() + "\n" for leaf in LEAVES))
    r = run_cli(["merkle", "build", src, "-o", out, "-q"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"7 leaves, root {ROOT}\n", "")
    assert out.read_bytes() == encode_leaves_list(LEAVES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaves.cbor", "leaves.txt"]
    # the write itself fails (the rename of anchor.fsutil.replace_atomically): the old
    # document stays whole, the run is refused (exit 4) and its temporary file is removed
    src.write_text("".join(leaf.hex() + "\n" for leaf in LEAVES[:3]))

    def no_space(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    r = run_cli(["merkle", "build", src, "-o", out, "-q"])
    assert (r.exit_code, r.stdout) == (4, "")
    assert one_line(r.stderr) == f"error: cannot write {out}: No space left on device"
    assert out.read_bytes() == encode_leaves_list(LEAVES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaves.cbor", "leaves.txt"]


def test_build_output_is_checked_before_reading_the_input(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["merkle", "build", tmp_path / "missing.txt", "-o", tmp_path])
    assert (r.exit_code, r.stdout) == (4, "")
    assert one_line(r.stderr) == f"error: cannot write {tmp_path} (--output): it is a directory"


def test_merkle_help_has_examples(run_cli: Run) -> None:
    for command in ("root", "proof", "verify", "build"):
        r = run_cli(["merkle", command, "--help"])
        assert r.exit_code == 0 and "  Examples:\n    anchor merkle " + command in r.stdout


def test_build_fast_hex_path_gives_the_line_parser_s_bytes(run_cli: Run, tmp_path: Path) -> None:
    """Plain 64-hex lines take one unhexlify; the same leaves in a form only the line parser
    reads (a blank line, 0x, spaces, CRLF) give byte-identical documents."""
    from anchor.cli.merkle import _plain_hex_lines

    leaves = [hashlib.sha256(i.to_bytes(2, "big")).hexdigest() for i in range(300)]
    leaves[7] = leaves[7].upper()
    plain = "\n".join(leaves) + "\n"
    assert _plain_hex_lines(plain.encode()) is not None
    mixed = "\n".join(f"0x{x}" if i % 3 == 0 else f"  {x}\r" for i, x in enumerate(leaves))
    assert _plain_hex_lines(mixed.encode()) is None
    outputs = []
    for label, text in (("plain", plain), ("mixed", mixed + "\n\n")):
        source = tmp_path / f"{label}.txt"
        source.write_text(text)
        r = run_cli(["merkle", "build", source, "-o", tmp_path / f"{label}.cbor", "-q"])
        assert r.exit_code == 0, r.stderr
        outputs.append((tmp_path / f"{label}.cbor").read_bytes())
    assert outputs[0] == outputs[1]
    bad = tmp_path / "bad.txt"
    bad.write_text(plain.replace(leaves[5], "g" * 64))
    r = run_cli(["merkle", "build", bad, "-o", tmp_path / "bad.cbor"])
    assert (r.exit_code, r.stderr.splitlines()[-1]) == (4, f"error: {bad} line 6: not hex")
