"""Load one vector file of the standard as pytest params (one per vector, id = vector name).

Files are read when the tests are collected, from the folder ``l309_data_dir()``
finds (``$ANCHOR_L309_DATA``, ``../shared/label309`` or ``.vectors/``). When it is
absent every test built from these params is reported as skipped with the fetch
hint, never passed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import FETCH_HINT, l309_data_dir


def load_doc(rel: str) -> dict[str, Any] | None:
    """The parsed JSON of ``conformance/<rel>``, or None when the data folder is absent."""
    root = l309_data_dir()
    if root is None:
        return None
    doc: dict[str, Any] = json.loads((root / "conformance" / rel).read_text(encoding="utf-8"))
    return doc


def vector_params(rel: str, key: str = "vectors") -> list[Any]:
    """``pytest.param(vector, id=vector["name"])`` for each entry of ``doc[key]``."""
    doc = load_doc(rel)
    if doc is None:
        reason = f"Label 309 vectors not found ({FETCH_HINT})"
        return [pytest.param(None, id="vectors-absent", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(vector, id=vector["name"]) for vector in doc[key]]


def hx(text: str) -> bytes:
    """Bytes from the vectors' lower-case hex."""
    return bytes.fromhex(text)
