"""The in-toto Statement v1 with a SLSA Provenance v1 predicate: built from a build context, parsed back.

The predicate (docs/attest.md shows a full example)::

    buildDefinition: {buildType, externalParameters: {workflow: {repository, ref, path}},
                      internalParameters: {anchor_ci: {platform, runId, runAttempt, jobId,
                                                       workflowRef}},
                      resolvedDependencies: [{uri, digest: {gitCommit}}]}
    runDetails: {builder: {id}, metadata: {invocationId, startedOn, finishedOn},
                 anchor_identityToken: <the OIDC JWT>}

``anchor_identityToken`` is a SLSA ``<vendor>_<field>`` extension carrying the token that
binds the signing key to the build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anchor.attest import strictjson
from anchor.attest.codes import PAYLOAD_TYPE, CheckFailed
from anchor.attest.dsse import PAYLOAD_TYPE as INTOTO_PAYLOAD_TYPE

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PREDICATE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://evidence-anchor.dev/attest/ci-workflow/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Subject:
    """One attested artifact: its name and lower-case hex SHA-256."""

    name: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        """The in-toto ResourceDescriptor form."""
        return {"name": self.name, "digest": {"sha256": self.sha256}}


@dataclass(frozen=True)
class BuildContext:
    """What the statement says about the build; every value comes from the token's claims."""

    platform: str
    repository: str
    ref: str
    workflow_path: str
    workflow_ref: str
    commit: str
    run_id: str
    run_attempt: str
    job_id: str
    builder_id: str
    invocation_id: str
    source_uri: str


def rfc3339(epoch: int) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` for a POSIX time."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_statement(
    subjects: list[Subject],
    ctx: BuildContext,
    *,
    token: str,
    started_on: int,
    finished_on: int,
) -> bytes:
    """The statement's bytes (compact JSON), the payload the DSSE signature covers."""
    doc = {
        "_type": STATEMENT_TYPE,
        "subject": [s.to_json() for s in subjects],
        "predicateType": SLSA_PREDICATE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "workflow": {
                        "repository": ctx.repository,
                        "ref": ctx.ref,
                        "path": ctx.workflow_path,
                    }
                },
                "internalParameters": {
                    "anchor_ci": {
                        "platform": ctx.platform,
                        "runId": ctx.run_id,
                        "runAttempt": ctx.run_attempt,
                        "jobId": ctx.job_id,
                        "workflowRef": ctx.workflow_ref,
                    }
                },
                "resolvedDependencies": [
                    {"uri": ctx.source_uri, "digest": {"gitCommit": ctx.commit}}
                ],
            },
            "runDetails": {
                "builder": {"id": ctx.builder_id},
                "metadata": {
                    "invocationId": ctx.invocation_id,
                    "startedOn": rfc3339(started_on),
                    "finishedOn": rfc3339(finished_on),
                },
                "anchor_identityToken": token,
            },
        },
    }
    return strictjson.dumps(doc)


@dataclass(frozen=True)
class ParsedStatement:
    """A statement that passed the ``payload-type`` step."""

    document: dict[str, Any]
    subjects: tuple[Subject, ...]
    token: str

    def pointer(self, path: str) -> Any:
        """The value at JSON pointer ``path`` (RFC 6901), or ``None`` when absent."""
        return resolve_pointer(self.document, path)

    @property
    def created(self) -> str | None:
        """``runDetails.metadata.finishedOn`` when it is a string."""
        value = self.pointer("/predicate/runDetails/metadata/finishedOn")
        return value if isinstance(value, str) else None


def resolve_pointer(doc: Any, path: str) -> Any:
    """RFC 6901 lookup; ``None`` for a missing member or a malformed pointer."""
    if path == "":
        return doc
    if not path.startswith("/"):
        return None
    node = doc
    for raw in path[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _subjects(value: Any) -> tuple[Subject, ...]:
    if not isinstance(value, list) or not value:
        raise CheckFailed(PAYLOAD_TYPE, "statement has no subject")
    out = []
    for item in value:
        digest = item.get("digest") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        sha = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(name, str) or not isinstance(sha, str) or not _HEX64.fullmatch(sha):
            raise CheckFailed(PAYLOAD_TYPE, "a subject lacks a name or a sha256 digest")
        out.append(Subject(name, sha))
    return tuple(out)


def parse_statement(payload_type: str, payload: bytes) -> ParsedStatement:
    """Check the signed payload is a Statement v1 with SLSA v1 and a token (``payload-type``)."""
    if payload_type != INTOTO_PAYLOAD_TYPE:
        raise CheckFailed(PAYLOAD_TYPE, f"payloadType is not {INTOTO_PAYLOAD_TYPE}")
    try:
        doc = strictjson.loads(payload)
    except strictjson.StrictJSONError as exc:
        raise CheckFailed(PAYLOAD_TYPE, f"statement is not strict JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("_type") != STATEMENT_TYPE:
        raise CheckFailed(PAYLOAD_TYPE, "not an in-toto Statement v1")
    if doc.get("predicateType") != SLSA_PREDICATE:
        raise CheckFailed(PAYLOAD_TYPE, "predicate is not SLSA Provenance v1")
    subjects = _subjects(doc.get("subject"))
    token = resolve_pointer(doc, "/predicate/runDetails/anchor_identityToken")
    if not isinstance(token, str) or not token:
        raise CheckFailed(PAYLOAD_TYPE, "no identity token at runDetails.anchor_identityToken")
    return ParsedStatement(doc, subjects, token)
