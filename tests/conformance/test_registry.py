"""The package's error-code constants match ``registries/error-codes.json`` exactly:
same codes, same order (the sort tie-break), same parts and default severities."""

from __future__ import annotations

import json
from pathlib import Path

from anchor.label309 import codes


def _registry(l309_data: Path) -> list[dict[str, object]]:
    doc = json.loads((l309_data / "registries" / "error-codes.json").read_text(encoding="utf-8"))
    entries: list[dict[str, object]] = doc["entries"]
    return entries


def test_same_codes_in_the_same_order(l309_data: Path) -> None:
    assert [e["code"] for e in _registry(l309_data)] == [i.code for i in codes.REGISTRY]


def test_same_parts_severities_and_dual_flags(l309_data: Path) -> None:
    expected = [
        (e["code"], e["part"], e["severity"], bool(e.get("dual_severity", False)))
        for e in _registry(l309_data)
    ]
    got = [(i.code, i.part, i.severity, i.dual_severity) for i in codes.REGISTRY]
    assert got == expected


def test_positions_and_constants(l309_data: Path) -> None:
    for index, entry in enumerate(_registry(l309_data)):
        name = str(entry["code"])
        assert codes.REGISTRY_INDEX[name] == index
        assert getattr(codes, name) == name


def test_construction_codes_are_not_registry_codes() -> None:
    assert len(codes.CONSTRUCTION_CODES) == 12
    assert not any(codes.is_registry_code(c) for c in codes.CONSTRUCTION_CODES)
