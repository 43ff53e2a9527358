"""`anchor record validate` and `anchor record inspect`.

The first test is the "Must show" check: every validator vector goes through ONE
``anchor record validate --hex --json`` invocation per distinct option set, and every
output line must carry exactly the pinned codes.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anchor.label309 import carriage, cbor
from tests.conformance._primitive_vectors import load_doc
from tests.unit.label309._records import item, record

with warnings.catch_warnings():  # see tests/cli/test_keys_cli.py: typer vs click 8.5 deprecation
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

VALIDATOR_FILES = (
    "validator/validator-negative.json",
    "validator/validator-positive.json",
    "validator/validator-bounds-negative.json",
)
ROLES_FILE = "validator/enc-unsupported-roles.json"
MAXIMAL = "poe-record/maximal-record-with-extension-keys.json"
DEFAULT_CEILING = {"m": 2097152, "t": 16, "p": 8}
Run = Callable[..., Any]


def _flags(options: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    for name in options.get("supportedCriticalExtensions", []):
        flags += ["--supported-crit", name]
    if "maxSlots" in options:
        flags += ["--max-slots", str(options["maxSlots"])]
    if "maxEncEnvelopeBytes" in options:
        flags += ["--max-enc-envelope-bytes", str(options["maxEncEnvelopeBytes"])]
    assert options.get("passphraseParamsCeiling", DEFAULT_CEILING) == DEFAULT_CEILING
    return flags


def _cases() -> list[tuple[str, list[str], str, list[str], list[str] | None]]:
    """(name, flags, cbor_hex, expected error codes, expected info codes or None)."""
    cases = []
    for rel in VALIDATOR_FILES:
        doc = load_doc(rel)
        if doc is None:
            pytest.skip("Label 309 vectors not found (run 'make vectors')")
        for v in doc["vectors"]:
            flags = _flags(v.get("validator_options", {}))
            info = v.get("expected_info_codes")
            cases.append((v["name"], flags, v["cbor_hex"], v["expected_error_codes"], info))
    roles = load_doc(ROLES_FILE)
    assert roles is not None
    for v in roles["vectors"]:
        for role, key in (("public", "public"), ("strict", "recipient_or_strict")):
            exp = v["expected_by_role"][key]
            name = f"{v['name']}@{role}"
            cases.append(
                (name, ["--role", role], v["cbor_hex"], exp["error_codes"], exp["info_codes"])
            )
    return cases


def test_every_validator_vector_through_one_cli_call_per_option_set(
    run_cli: Run, tmp_path: Path
) -> None:
    groups: dict[tuple[str, ...], list[Any]] = {}
    for case in _cases():
        groups.setdefault(tuple(case[1]), []).append(case)
    checked = 0
    for flags, cases in groups.items():
        files: list[str] = []
        for name, _, cbor_hex, _, _ in cases:
            path = tmp_path / f"{name}.hex"
            path.write_text(cbor_hex.upper() if len(files) % 2 else cbor_hex)
            files.append(str(path))
        result = run_cli(["record", "validate", "--hex", "--json", *flags, *files])
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["file"] for line in lines] == files
        for line, (name, _f, _h, errors, info) in zip(lines, cases, strict=True):
            got = sorted({i["code"] for i in line["issues"] if i["severity"] == "error"})
            assert got == errors, name
            assert line["valid"] is (not errors), name
            if info is not None:
                assert (
                    sorted({i["code"] for i in line["issues"] if i["severity"] == "info"}) == info
                )
            checked += 1
        assert result.exit_code == (1 if any(c[3] for c in cases) else 0), flags
    assert checked >= 100 and len(groups) >= 4


def test_unreadable_file_among_several(run_cli: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.cbor"
    good.write_bytes(cbor.encode(record()))
    bad = tmp_path / "bad.cbor"
    bad.write_bytes(cbor.encode(record(v=2)))
    result = run_cli(["record", "validate", "--json", str(good), str(tmp_path / "nope"), str(bad)])
    assert result.exit_code == 4
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["file"], x["valid"]) for x in lines] == [(str(good), True), (str(bad), False)]
    assert lines[1]["issues"] == [
        {"code": "SCHEMA_INVALID_LITERAL", "severity": "error", "path": ["v"],
         "message": "v must be the integer 1, not 2"}
    ]  # fmt: skip
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr


def test_exit_codes_and_human_output(run_cli: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.cbor"
    good.write_bytes(cbor.encode({**record(), "x-note": "hi"}))
    ok = run_cli(["record", "validate", str(good)])
    assert ok.exit_code == 0
    assert ok.stdout == f"{good}: valid\n  extension keys: x-note\n"
    bad = tmp_path / "bad.cbor"
    bad.write_bytes(cbor.encode(record(items=[item(uris=["https://x"])])))
    fail = run_cli(["record", "validate", str(good), str(bad)])
    assert fail.exit_code == 1
    assert "error INVALID_URI at items[0].uris[0]: scheme_forbidden" in fail.stdout
    assert run_cli(["record", "validate", "--role", "nope", str(good)]).exit_code == 4
    malformed = tmp_path / "m.cbor"
    malformed.write_bytes(b"\xa1")
    res = run_cli(["record", "validate", "--json", str(malformed)])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["issues"][0]["code"] == "MALFORMED_CBOR"


def test_stdin_and_hex_errors(run_cli: Run) -> None:
    body = cbor.encode(record())
    assert run_cli(["record", "validate", "-"], input=body).exit_code == 0
    assert run_cli(["record", "validate", "--hex", "-"], input=body.hex().upper()).exit_code == 0
    res = run_cli(["record", "validate", "--hex", "-"], input="zz")
    assert res.exit_code == 4 and "not hex" in res.stderr


def test_inspect_maximal_record(run_cli: Run, tmp_path: Path) -> None:
    doc = load_doc(MAXIMAL)
    if doc is None:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    path = tmp_path / "max.hex"
    path.write_text(doc["cbor_hex"])
    res = run_cli(["record", "inspect", "--hex", "--json", "--network", "mainnet", str(path)])
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["valid"] is False  # default validator: x-note is critical and unsupported
    assert out["extension_keys"] == ["x-meta", "x-note"]
    rec = out["record"]
    assert rec["items"][0]["hashes"]["sha2-256"] == "11" * 32
    assert rec["merkle"][0] == {
        "alg": "rfc9162-sha256",
        "root": "77" * 32,
        "leaf_count": 8,
        "uris": [],
    }
    assert rec["sigs"] == [
        {"index": 0, "signer_type": "in-signature-kid", "signer_public_key": doc["signer_public_key_hex"],
         "alg": -8, "cose_key": False, "verified": True, "code": None}
    ]  # fmt: skip
    assert {e["key"]: e["value_diag"] for e in rec["extensions"]} == {
        "x-meta": '{"a": 1, "bb": 2}',
        "x-note": '"frozen cross-impl record vector"',
    }
    human = run_cli(["record", "inspect", "--hex", str(path)])
    assert human.exit_code == 0
    assert f"sigs[0]: in-signature-kid {doc['signer_public_key_hex']} alg -8" in human.stdout
    assert "extension x-meta" in human.stdout


def test_inspect_carriage_forms(run_cli: Run, tmp_path: Path) -> None:
    body = cbor.encode(record(supersedes=b"\x42" * 32))
    value = tmp_path / "value.cbor"
    value.write_bytes(carriage.label309_value(body))
    aux = tmp_path / "aux.cbor"
    aux.write_bytes(carriage.metadata_map_bytes(body))
    for flag, path in (("--label-309-value", value), ("--aux-data", aux)):
        res = run_cli(["record", "inspect", "--json", flag, str(path)])
        assert res.exit_code == 0, res.stderr
        assert json.loads(res.stdout)["record"]["supersedes"] == "42" * 32
    both = run_cli(["record", "inspect", "--label-309-value", "--aux-data", str(aux)])
    assert both.exit_code == 4
    raw = run_cli(["record", "inspect", str(value)])
    assert raw.exit_code == 0 and "does not fit the record model" in raw.stdout
    broken = tmp_path / "broken.cbor"
    broken.write_bytes(b"\xa1")
    res = run_cli(["record", "inspect", str(broken)])
    assert res.exit_code == 4 and "MALFORMED_CBOR" in res.stderr


# --- inspect a whole transaction; the same network names as every other command ------------


def _signed_tx(tmp_path: Path) -> tuple[Path, str, bytes]:
    from tests.unit.verify.kit import aux_data, make_tx_from_aux, sign_body

    body = sign_body(cbor.encode(record()))
    tx_hash, tx = make_tx_from_aux(aux_data(body))
    path = tmp_path / "tx.cbor"
    path.write_bytes(tx)
    return path, tx_hash, body


def test_inspect_a_whole_transaction(run_cli: Run, tmp_path: Path) -> None:
    path, tx_hash, body = _signed_tx(tmp_path)
    res = run_cli(["record", "inspect", "--tx", "--json", "--network", "preprod", str(path)])
    assert (res.exit_code, res.stderr) == (0, "")
    doc = json.loads(res.stdout)
    assert (doc["file"], doc["tx_hash"], doc["size"], doc["valid"]) == (
        str(path),
        tx_hash,
        len(body),
        True,
    )
    assert [(s["verified"], s["code"]) for s in doc["record"]["sigs"]] == [(True, None)]
    human = run_cli(["record", "inspect", "--tx", str(path)])
    assert human.exit_code == 0
    assert human.stdout.splitlines()[:2] == [
        f"{path}: Label 309 record body, {len(body)} bytes",
        f"  carried by transaction {tx_hash}",
    ]


def test_inspect_tx_refusals(run_cli: Run, tmp_path: Path) -> None:
    from tests.unit.verify.kit import make_tx_from_aux

    body_only = tmp_path / "record.cbor"
    body_only.write_bytes(cbor.encode(record()))
    res = run_cli(["record", "inspect", "--tx", str(body_only)])
    assert (res.exit_code, res.stdout, res.stderr) == (
        4,
        "",
        "error: TX_INTEGRITY_MISMATCH: transaction is not a CBOR array\n",
    )
    bare = tmp_path / "bare.cbor"
    bare.write_bytes(make_tx_from_aux(None)[1])
    res = run_cli(["record", "inspect", "--tx", str(bare)])
    assert (res.exit_code, res.stderr) == (
        4,
        "error: the transaction has no auxiliary data (no label 309 record)\n",
    )
    res = run_cli(["record", "inspect", "--tx", "--aux-data", str(bare)])
    assert (res.exit_code, res.stderr) == (
        4,
        "error: --aux-data, --tx: give only one input form\n",
    )


@pytest.mark.parametrize("network", ["mainnet", "preprod", "preview", "devnet", "testnet"])
def test_inspect_network_takes_every_network_name(
    run_cli: Run, tmp_path: Path, network: str
) -> None:
    """Used to accept only mainnet|testnet, unlike every other command's --network."""
    path, _, _ = _signed_tx(tmp_path)
    res = run_cli(["record", "inspect", "--tx", "--json", "--network", network, str(path)])
    assert res.exit_code == 0, res.stderr
    # an in-signature kid signature does not depend on the network
    assert [s["verified"] for s in json.loads(res.stdout)["record"]["sigs"]] == [True]


def test_record_help_has_examples(run_cli: Run) -> None:
    for command in ("validate", "inspect"):
        r = run_cli(["record", command, "--help"])
        assert r.exit_code == 0 and "  Examples:\n    anchor record " + command in r.stdout
