"""The rules of ``manifest.json`` checked strictly, for publish's preflight and for verify.

:func:`check_manifest` applies every rule of docs/manifest.schema.json (written out here
by hand: no runtime schema engine, see docs/adr/0011) and the rules the schema cannot
express: items sorted by the UTF-8 bytes of their names and unique, item ``i`` at
``leaf_index`` ``i``, ``tree.leaf_count`` equal to the number of items, and, given the
leaves-list, every item's ``sha2-256`` equal to its leaf and ``tree`` equal to the list's
root and count. The JSON is parsed by :func:`anchor.safeio.load_json` (duplicate member
names, deep nesting refused). The first broken rule raises :class:`ManifestRuleError`
with one line naming the item and the rule. A test checks these rules against
the schema file with jsonschema (a development dependency) so the two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from anchor.errors import InputError
from anchor.safeio import load_json

FORMAT = "evidence-anchor-manifest-v1"
KINDS = frozenset({"artifact", "sbom", "attestation", "log", "test-report", "manifest"})
_HEX32 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_BAD_NAME = re.compile(r"(^|/)\.{1,2}(/|$)|^/|//")
_HEXSTAR = re.compile(r"[0-9a-f]*")
_DIGEST_ALG = re.compile(r"[A-Za-z0-9._+-]{1,64}")
_MAX_SAFE = 2**53 - 1

Check = Callable[[Any, str], object]


class ManifestRuleError(InputError):
    """manifest.json breaks a rule of docs/manifest.schema.json or disagrees with its tree.

    ``detail`` is the rule alone (``items[2].kind: must be one of ...``), for callers
    that name the file themselves.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"manifest.json {detail}")
        self.detail = detail


def _fail(where: str, message: str) -> ManifestRuleError:
    return ManifestRuleError(f"{where}: {message}" if where else message)


def _int(value: Any, where: str, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:
        raise _fail(where, f"must be an integer in {low}..{high}")


def _text(value: Any, where: str, *, min_len: int = 1, max_len: int | None = None) -> None:
    if not isinstance(value, str) or len(value) < min_len:
        raise _fail(where, f"must be a string of at least {min_len} character(s)")
    if max_len is not None and len(value) > max_len:
        raise _fail(where, f"must be at most {max_len} characters")


def _match(value: Any, where: str, pattern: re.Pattern[str], what: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise _fail(where, f"must be {what}")


def _enum(value: Any, where: str, allowed: Sequence[str] | frozenset[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, f"must be one of {', '.join(sorted(allowed))}")


def _object(
    value: Any,
    where: str,
    props: dict[str, Check],
    *,
    required: Sequence[str] = (),
    min_props: int = 0,
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    for key in value:
        if key not in props:
            raise _fail(where, f"unknown member {key!r}")
    for key in required:
        if key not in value:
            raise _fail(where, f"missing member {key!r}")
    if len(value) < min_props:
        raise _fail(where, "must not be empty")
    for key, member in value.items():
        props[key](member, f"{where}.{key}")
    return value


def _array(value: Any, where: str, each: Check, *, min_items: int = 0, max_items: int = -1) -> None:
    if not isinstance(value, list) or len(value) < min_items:
        raise _fail(where, f"must be an array of at least {min_items} element(s)")
    if max_items >= 0 and len(value) > max_items:
        raise _fail(where, f"must have at most {max_items} elements")
    for i, member in enumerate(value):
        each(member, f"{where}[{i}]")


def _t(value: Any, where: str) -> None:
    _text(value, where)


def _hex32(value: Any, where: str) -> None:
    _match(value, where, _HEX32, "64 lower-case hex digits")


def _digest_map(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not value:
        raise _fail(where, "must be a non-empty object")
    for alg, hexd in value.items():
        _match(alg, f"{where} key", _DIGEST_ALG, "a digest algorithm name")
        _text(hexd, f"{where}.{alg}", min_len=0, max_len=512)


def _subject(value: Any, where: str) -> None:
    props: dict[str, Check] = {
        "name": lambda v, w: _text(v, w, min_len=0, max_len=4096),
        "digests": _digest_map,
    }
    _object(value, where, props, required=("digests",))


_IDENTITY_FIELDS = ("builder", "commit", "issuer", "ref", "repository", "subject")


def _unique_names(value: Any, where: str) -> None:
    _array(value, where, _t, min_items=1)
    if len(set(value)) != len(value):
        raise _fail(where, "must not repeat a name")


def _statement(value: Any, where: str) -> None:
    def short(v: Any, w: str) -> None:
        _text(v, w, min_len=0, max_len=1024)

    props: dict[str, Check] = {
        "payload_type": short,
        "statement_type": short,
        "predicate_type": short,
        "identity": lambda v, w: _object(v, w, dict.fromkeys(_IDENTITY_FIELDS, short)),
        "subjects": lambda v, w: _array(v, w, _subject, max_items=1000),
    }
    _object(value, where, props, required=("subjects",))


def _attestation(value: Any, where: str) -> None:
    def hexstar(v: Any, w: str) -> None:
        _match(v, w, _HEXSTAR, "lower-case hex")

    formats = ("in-toto-statement", "in-toto-jsonl", "dsse-envelope", "sigstore-bundle")
    props: dict[str, Check] = {
        "format": lambda v, w: _enum(v, w, formats),
        "bundle_version": lambda v, w: _enum(v, w, ("0.1", "0.2", "0.3")),
        "message_digest": lambda v, w: _object(
            v, w, {"sha2-256": hexstar, "sha2-384": hexstar, "sha2-512": hexstar}
        ),
        "statements": lambda v, w: _array(v, w, _statement),
    }
    _object(value, where, props, required=("format", "statements"))


def _sbom(value: Any, where: str) -> None:
    props: dict[str, Check] = {
        "format": lambda v, w: _enum(v, w, ("cyclonedx", "spdx")),
        "encoding": lambda v, w: _enum(v, w, ("json", "xml", "tag-value")),
        "spec_version": lambda v, w: _text(v, w, max_len=32),
        "component_count": lambda v, w: _int(v, w, 0, 2**63 - 1),
    }
    _object(value, where, props, required=("format", "encoding"))


def _name(value: Any, where: str) -> None:
    _text(value, where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(where, "holds a lone surrogate (not UTF-8 text)") from None
    if _BAD_NAME.search(value):
        raise _fail(where, f"{value!r} is not a relative '/'-separated path without . or ..")


def _item(value: Any, where: str) -> None:
    props: dict[str, Check] = {
        "name": _name,
        "kind": lambda v, w: _enum(v, w, KINDS),
        "media_type": lambda v, w: _text(v, w, min_len=3),
        "size": lambda v, w: _int(v, w, 0, _MAX_SAFE),
        "digests": lambda v, w: _object(
            v, w, {"sha2-256": _hex32, "blake2b-256": _hex32}, required=("sha2-256",)
        ),
        "leaf_index": lambda v, w: _int(v, w, 0, 4294967294),
        "sbom": _sbom,
        "attestation": _attestation,
        "warnings": lambda v, w: _array(v, w, _t, min_items=1),
        "attestedBy": _unique_names,
    }
    required = ("name", "kind", "media_type", "size", "digests", "leaf_index")
    item = _object(value, where, props, required=required)
    for detail in ("sbom", "attestation"):
        if detail in item and item["kind"] != detail:
            raise _fail(where, f"an item with {detail!r} must have kind {detail!r}")


def _top(doc: Any) -> dict[str, Any]:
    def fmt(v: Any, w: str) -> None:
        if v != FORMAT:
            raise _fail(w, f"must be {FORMAT!r}")

    props: dict[str, Check] = {
        "format": fmt,
        "release": lambda v, w: _object(v, w, {"name": _t, "version": _t}, min_props=1),
        "source": lambda v, w: _object(
            v,
            w,
            {
                "repository": _t,
                "commit": lambda c, cw: _match(c, cw, _COMMIT, "a lower-case git object id"),
                "ref": _t,
            },
            min_props=1,
        ),
        "build": lambda v, w: _object(
            v,
            w,
            {
                "ci": lambda c, cw: _enum(c, cw, ("github-actions", "gitlab-ci")),
                "workflow": _t,
                "run_id": _t,
                "run_attempt": _t,
                "run_url": _t,
                "time": lambda c, cw: _match(c, cw, _TIME, "a UTC time YYYY-MM-DDTHH:MM:SSZ"),
            },
            min_props=1,
        ),
        "items": lambda v, w: _array(v, w, _item, min_items=1),
        "tree": lambda v, w: _object(
            v,
            w,
            {
                "alg": lambda c, cw: _enum(c, cw, ("rfc9162-sha256",)),
                "leaf_count": lambda c, cw: _int(c, cw, 1, 4294967295),
                "root": _hex32,
            },
            required=("alg", "leaf_count", "root"),
        ),
    }
    return _object(doc, "", props, required=("format", "items", "tree"))


def check_schema(data: bytes) -> dict[str, Any]:
    """Parse ``manifest.json`` strictly and apply the schema's and the tool's own rules."""
    doc = _top(load_json(data, what="manifest.json"))
    items: list[dict[str, Any]] = doc["items"]
    previous: bytes | None = None
    for i, item in enumerate(items):
        key = item["name"].encode("utf-8")
        if previous is not None and key <= previous:
            why = "duplicate name" if key == previous else "items are not sorted by name"
            raise _fail(f"items[{i}]", f"{why} ({item['name']!r})")
        previous = key
        if item["leaf_index"] != i:
            raise _fail(f"items[{i}].leaf_index", f"is {item['leaf_index']}, must be {i}")
    if doc["tree"]["leaf_count"] != len(items):
        raise _fail("tree.leaf_count", f"is {doc['tree']['leaf_count']} for {len(items)} items")
    return doc


def check_manifest(data: bytes, leaves: Sequence[bytes], root: bytes) -> dict[str, Any]:
    """:func:`check_schema`, then every item's digest against ``leaves`` and the tree's root."""
    doc = check_schema(data)
    tree = doc["tree"]
    if tree["leaf_count"] != len(leaves):
        raise _fail(
            "tree.leaf_count", f"is {tree['leaf_count']}, leaves.cbor has {len(leaves)} leaves"
        )
    if tree["root"] != root.hex():
        raise _fail("tree.root", f"is not the root of leaves.cbor ({root.hex()})")
    for i, item in enumerate(doc["items"]):
        if bytes.fromhex(item["digests"]["sha2-256"]) != leaves[i]:
            raise _fail(
                f"items[{i}] ({item['name']!r})",
                f"sha2-256 is not leaf {i} of leaves.cbor ({leaves[i].hex()})",
            )
    return doc
