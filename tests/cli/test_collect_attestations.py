"""collect links attestation subjects to items (attestedBy), records the claimed build
identity (token decoded, not verified), warns on unmatched subjects and on a repository or
commit that differs from the source; --strict-attestations refuses those (exit 4)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CliResult

Run = Callable[..., CliResult]
ART = b"artifact bytes\n"
ART_SHA = hashlib.sha256(ART).hexdigest()
OTHER_SHA = "ab" * 32
COMMIT = "c0" * 20


def _b64url(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def _statement(subjects: list[tuple[str, str]], commit: str = COMMIT) -> bytes:
    token = ".".join(
        [
            _b64url({"alg": "ES256"}),
            _b64url({"iss": "https://issuer.test", "sub": "repo:a/b"}),
            "c2ln",
        ]
    )
    doc = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": d}} for n, d in subjects],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "externalParameters": {"workflow": {"repository": "acme/app", "ref": "refs/tags/v1"}},
                "resolvedDependencies": [{"uri": "git+https://x", "digest": {"gitCommit": commit}}],
            },
            "runDetails": {"builder": {"id": "https://builder.test"}, "anchor_identityToken": token},
        },
    }  # fmt: skip
    return json.dumps(doc).encode()


def _tree(tmp_path: Path, statement: bytes) -> Path:
    src = tmp_path / "src"
    (src / "att").mkdir(parents=True)
    (src / "app.tgz").write_bytes(ART)
    (src / "att" / "app.intoto.json").write_bytes(statement)
    return src


def _collect(run_cli: Run, src: Path, out: Path, *extra: str) -> CliResult:
    return run_cli(
        ["collect", src, "--root", src, "-o", out, "--no-env",
         "--repository", "https://github.com/acme/app", "--commit", COMMIT, *extra]
    )  # fmt: skip


def test_subjects_link_items_and_identity_is_recorded(run_cli: Run, tmp_path: Path) -> None:
    src = _tree(tmp_path, _statement([("app.tgz", ART_SHA)]))
    r = _collect(run_cli, src, tmp_path / "ev", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["warnings"] == []
    items = {
        i["name"]: i for i in json.loads((tmp_path / "ev/manifest.json").read_bytes())["items"]
    }
    assert items["app.tgz"]["attestedBy"] == ["att/app.intoto.json"]
    assert "attestedBy" not in items["att/app.intoto.json"]
    assert items["att/app.intoto.json"]["attestation"]["statements"][0]["identity"] == {
        "builder": "https://builder.test",
        "commit": COMMIT,
        "issuer": "https://issuer.test",
        "ref": "refs/tags/v1",
        "repository": "acme/app",
        "subject": "repo:a/b",
    }


def test_unmatched_subject_and_other_commit_warn(run_cli: Run, tmp_path: Path) -> None:
    src = _tree(tmp_path, _statement([("app.tgz", ART_SHA), ("gone.bin", OTHER_SHA)], "d1" * 20))
    r = _collect(run_cli, src, tmp_path / "ev", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["warnings"] == [
        {
            "name": "att/app.intoto.json",
            "warning": f"attestation link: subject gone.bin (sha256:{OTHER_SHA}) is no item",
        },
        {
            "name": "att/app.intoto.json",
            "warning": f"attestation link: commit {'d1' * 20} differs from the source {COMMIT}",
        },
    ]


def test_strict_attestations_refuses_and_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    src = _tree(tmp_path, _statement([("gone.bin", OTHER_SHA)]))
    out = tmp_path / "ev"
    r = _collect(run_cli, src, out, "--strict-attestations")
    assert r.exit_code == 4
    assert r.stderr.strip() == (
        "error: --strict-attestations: att/app.intoto.json: attestation link: subject gone.bin "
        f"(sha256:{OTHER_SHA}) is no item"
    )
    assert not out.exists()


def test_strict_attestations_passes_a_clean_bundle(run_cli: Run, tmp_path: Path) -> None:
    src = _tree(tmp_path, _statement([("app.tgz", ART_SHA)]))
    r = _collect(run_cli, src, tmp_path / "ev", "--strict-attestations", "-q")
    assert (r.exit_code, r.stderr) == (0, "")


def test_another_repository_warns(run_cli: Run, tmp_path: Path) -> None:
    src = _tree(tmp_path, _statement([("app.tgz", ART_SHA)]))
    r = run_cli(
        ["collect", src, "--root", src, "-o", tmp_path / "ev", "--no-env",
         "--repository", "https://github.com/evil/fork", "--json"]
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [w["warning"] for w in json.loads(r.stdout)["warnings"]] == [
        "attestation link: repository acme/app differs from the source https://github.com/evil/fork"
    ]
