"""Attestations linked to the items they claim, read without trusting them.

:func:`claimed_identity` reads the build identity a SLSA Provenance v1 statement claims
(repository, ref, commit, builder, and the issuer and subject of the OIDC token carried at
``runDetails.anchor_identityToken``), **unverified**: the token's signature is checked
only by ``anchor verify-attestation`` / ``anchor verify --trust-root``.

:func:`link_attestations` runs once all items are known: every item whose SHA-256 an
attestation item claims as a subject gets ``attestedBy`` (the attestation items' names,
in manifest order); a subject that matches no item, and a claimed repository or commit
that differs from the manifest's ``source``, become warnings on the attestation item
(prefix :data:`LINK_WARNING`; ``collect --strict-attestations`` refuses them).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anchor.evidence.manifest import Item
    from anchor.evidence.metadata import Metadata

SLSA_V1 = "https://slsa.dev/provenance/v1"
LINK_WARNING = "attestation link: "
_MAX = 1024
_MAX_TOKEN = 64 * 1024


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= _MAX else None


def _get(doc: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            doc = doc[key] if isinstance(doc, list) and len(doc) > key else None
        else:
            doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _token_claims(token: object) -> dict[str, Any]:
    """The payload of a compact JWS, decoded but NOT verified ({} when unreadable)."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN or token.count(".") != 2:
        return {}
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def claimed_identity(doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``(field, value)`` pairs a SLSA v1 statement claims about its build; () otherwise."""
    if doc.get("predicateType") != SLSA_V1:
        return ()
    predicate = doc.get("predicate")
    claims = _token_claims(_get(predicate, "runDetails", "anchor_identityToken"))
    found = {
        "repository": _get(predicate, "buildDefinition", "externalParameters", "workflow", "repository"),
        "ref": _get(predicate, "buildDefinition", "externalParameters", "workflow", "ref"),
        "commit": _get(predicate, "buildDefinition", "resolvedDependencies", 0, "digest", "gitCommit"),
        "builder": _get(predicate, "runDetails", "builder", "id"),
        "issuer": claims.get("iss"),
        "subject": claims.get("sub"),
    }  # fmt: skip
    return tuple((k, v) for k, v in sorted(found.items()) if _text(v) is not None)


def _same_repository(claimed: str, source: str) -> bool:
    """``owner/repo`` matches ``https://github.com/owner/repo`` (and ``.git``, case)."""

    def norm(text: str) -> str:
        text = text.strip().rstrip("/").removesuffix(".git").lower()
        return text.split("://", 1)[-1]

    a, b = norm(claimed), norm(source)
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def link_attestations(items: Sequence[Item], metadata: Metadata) -> list[Item]:
    """``items`` with ``attestedBy`` set and link warnings added (see the module docstring)."""
    by_digest: dict[str, list[str]] = {}
    extra: dict[int, list[str]] = {}
    known = {item.sha256.hex() for item in items}
    for index, item in enumerate(items):
        if item.attestation is None:
            continue
        notes: list[str] = []
        for statement in item.attestation.statements:
            for subject in statement.subjects:
                digest = dict(subject.digests).get("sha256", "").lower()
                if not digest:
                    continue
                names = by_digest.setdefault(digest, [])
                if item.name not in names:
                    names.append(item.name)
                if digest not in known:
                    label = subject.name or "unnamed"
                    notes.append(f"{LINK_WARNING}subject {label} (sha256:{digest}) is no item")
            identity = dict(statement.identity)
            repo, commit = identity.get("repository"), identity.get("commit")
            if repo and metadata.repository and not _same_repository(repo, metadata.repository):
                notes.append(
                    f"{LINK_WARNING}repository {repo} differs from the source {metadata.repository}"
                )
            if commit and metadata.commit and commit.lower() != metadata.commit.lower():
                notes.append(
                    f"{LINK_WARNING}commit {commit} differs from the source {metadata.commit}"
                )
        if notes:
            extra[index] = list(dict.fromkeys(notes))
    out: list[Item] = []
    for index, item in enumerate(items):
        attested = tuple(n for n in by_digest.get(item.sha256.hex(), ()) if n != item.name)
        warnings = (*item.warnings, *extra.get(index, ()))
        if attested or index in extra:
            item = replace(item, attested_by=attested, warnings=warnings)
        out.append(item)
    return out


def link_warnings(items: Sequence[Item]) -> list[tuple[str, str]]:
    """``(item name, warning)`` for every link warning (what ``--strict-attestations`` refuses)."""
    return [(i.name, w) for i in items for w in i.warnings if w.startswith(LINK_WARNING)]
