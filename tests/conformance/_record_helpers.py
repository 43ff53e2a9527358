"""Helpers shared by the record, validator and COSE conformance tests.

* :func:`validator_kwargs` maps a vector's camelCase ``validator_options`` onto
  ``validate_record`` keyword arguments (an unknown option fails loudly).
* :func:`codes_by_severity` gives the sorted distinct codes of one severity, the
  comparison the standard's harness uses.
* :func:`model_from_json` turns the maximal-record JSON (``*_hex`` keys hold bytes under
  the stripped name) into the record model.
"""

from __future__ import annotations

from typing import Any

from anchor.label309.cbor import CborMap
from anchor.label309.record import Item, MerkleCommit, Record, SigEntry
from anchor.label309.validate import ValidateResult

_OPTION_NAMES = {
    "supportedCriticalExtensions": "supported_critical_extensions",
    "maxSlots": "max_slots",
    "maxEncEnvelopeBytes": "max_enc_envelope_bytes",
    "passphraseParamsCeiling": "passphrase_params_ceiling",
}


def validator_kwargs(vector: dict[str, Any]) -> dict[str, Any]:
    """``validate_record`` keyword arguments for the vector's ``validator_options``."""
    out: dict[str, Any] = {}
    for name, value in vector.get("validator_options", {}).items():
        key = _OPTION_NAMES[name]
        out[key] = frozenset(value) if key == "supported_critical_extensions" else value
    return out


def codes_by_severity(result: ValidateResult, severity: str) -> list[str]:
    """Sorted distinct codes of ``severity`` in ``result``."""
    return sorted({i.code for i in result.issues if i.severity == severity})


def _unhex(value: Any) -> Any:
    """Recursively turn ``{"x_hex": "..."}`` into ``{"x": b"..."}``; lists and maps walk on."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith("_hex"):
                name = key.removesuffix("_hex")
                out[name] = (
                    {k: bytes.fromhex(v) for k, v in item.items()}
                    if isinstance(item, dict)
                    else bytes.fromhex(item)
                )
            else:
                out[key] = _unhex(item)
        return out
    if isinstance(value, list):
        return [_unhex(v) for v in value]
    return value


def model_from_json(record_json: dict[str, Any]) -> Record:
    """The record model for the maximal-record vector's JSON form."""
    data = _unhex(record_json)
    base = {"v", "items", "merkle", "supersedes", "sigs", "crit"}
    return Record(
        v=data["v"],
        items=tuple(
            Item(
                hashes=CborMap(item["hashes"]),
                uris=tuple(item.get("uris", ())),
                enc=CborMap(
                    {
                        k: [CborMap(s) for s in v] if k == "slots" else v
                        for k, v in item["enc"].items()
                    }
                )
                if "enc" in item
                else None,
            )
            for item in data.get("items", ())
        ),
        merkle=tuple(
            MerkleCommit(m["alg"], m["root"], m["leaf_count"], tuple(m.get("uris", ())))
            for m in data.get("merkle", ())
        ),
        supersedes=data.get("supersedes"),
        sigs=tuple(SigEntry(s["cose_sign1"], s.get("cose_key")) for s in data.get("sigs", ())),
        crit=tuple(data.get("crit", ())),
        extensions=CborMap({k: v for k, v in data.items() if k not in base}),
    )
