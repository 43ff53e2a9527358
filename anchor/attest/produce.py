"""``anchor attest``: an ephemeral key, the identity token, the statement, the DSSE signature, the bundle.

:func:`attest` is the whole flow, with the outside world injected (environment mapping,
token-file bytes, HTTP client, clock, and a ``mask`` callback the CLI uses to print
GitHub's ``::add-mask::`` before anything else can show the token).

1. a new P-256 key in memory (never written); keyid = hex SHA-256 of its DER SPKI;
2. the token (:func:`anchor.attest.ci.find_token`), key-bound on GitHub;
3. the statement from the token's claims, checked against the CI environment;
4. DSSE over PAE, ECDSA-P256-SHA256, DER; the bundle written as ``<name>.sigstore.json``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from anchor.attest.bundle import BUNDLE_MEDIA_TYPE, BUNDLE_SUFFIX, build_bundle
from anchor.attest.ci import check_environment, context_from_claims, find_token, unverified_claims
from anchor.attest.codes import AttestInputError
from anchor.attest.dsse import PAYLOAD_TYPE, EphemeralKey, audience_for
from anchor.attest.statement import Subject, build_statement
from anchor.chain.readers import HttpClient

_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class AttestOutput:
    """What ``anchor attest`` prints: the bundle's path, the subject digest, the media type."""

    storage_key: str
    subject_digest: str
    bundle_media_type: str = BUNDLE_MEDIA_TYPE

    def to_json(self) -> dict[str, str]:
        """``{"storageKey", "subjectDigest", "bundleMediaType"}``."""
        return {
            "storageKey": self.storage_key,
            "subjectDigest": self.subject_digest,
            "bundleMediaType": self.bundle_media_type,
        }


def subject_from_file(path: Path, name: str | None) -> Subject:
    """A subject for a file: its SHA-256 (streamed) and its name (default: the file name)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise AttestInputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc
    return Subject(name or path.name, digest.hexdigest())


def subject_from_digest(digest: str, name: str | None) -> Subject:
    """A subject for a precomputed ``sha256:HEX`` digest (an OCI manifest digest); a name is required."""
    if not name:
        raise AttestInputError("--subject-name is required with --subject-digest")
    algo, _, hexpart = digest.partition(":")
    hexpart = hexpart.lower()
    if algo != "sha256" or not _HEX64.fullmatch(hexpart):
        raise AttestInputError("--subject-digest must be sha256:<64 hex digits>")
    return Subject(name, hexpart)


def bundle_file_name(subject_name: str) -> str:
    """``<name>.sigstore.json`` with the subject's last path part made file-name safe."""
    base = subject_name.rstrip("/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._") or "artifact"
    return base + BUNDLE_SUFFIX


def attest(
    subject: Subject,
    *,
    out_dir: Path,
    env: Mapping[str, str],
    token_file: bytes | None = None,
    client: HttpClient | None = None,
    mask: Callable[[str], None] = lambda _token: None,
    clock: Callable[[], float] = time.time,
) -> AttestOutput:
    """Attest ``subject``; write the bundle into ``out_dir`` and say where it is."""
    if not out_dir.is_dir():
        raise AttestInputError(f"output folder {out_dir} does not exist")
    started = int(clock())
    key = EphemeralKey()
    token, source = find_token(
        env, key_audience=audience_for(key.spki_der), token_file=token_file, client=client
    )
    mask(token)
    claims = unverified_claims(token)
    check_environment(claims, env)
    ctx = context_from_claims(claims, env)
    iat = claims.get("iat")
    if isinstance(iat, int) and source == "github":
        started = min(started, iat)
    payload = build_statement(
        [subject], ctx, token=token, started_on=started, finished_on=int(clock())
    )
    signature = key.sign(PAYLOAD_TYPE, payload)
    data = build_bundle(
        spki_der=key.spki_der, payload_type=PAYLOAD_TYPE, payload=payload, signature=signature
    )
    target = out_dir / bundle_file_name(subject.name)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise AttestInputError(
            f"cannot write {target}: {exc.strerror or type(exc).__name__}"
        ) from exc
    return AttestOutput(str(target), f"sha256:{subject.sha256}")
