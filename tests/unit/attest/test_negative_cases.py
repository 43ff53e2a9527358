"""The issue's negative table: each forgery gives its exact code, and `verify-attestation` exits 1.

Every case starts from a good bundle and changes one thing; the good bundle itself is
shown to verify (exit 0) first, so a failing case cannot pass because the setup is broken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from anchor.attest.bundle import b64encode
from anchor.attest.dsse import EphemeralKey
from anchor.devnet.oidc import RunningOidc, start_oidc
from tests.conftest import CliResult
from tests.unit.attest.conftest import root_file
from tests.unit.attest.kit import (
    ARTIFACT,
    make_bundle,
    public_pem,
    resign,
    segments,
    sign_es256,
    sign_hs256,
    sign_rs256,
    unsigned,
    write,
)

Run = Callable[..., CliResult]


def verify(
    run_cli: Run, tmp: Path, bundle: bytes, root: str | Path, *extra: str
) -> tuple[int, dict]:
    """Run ``verify-attestation --json`` and return (exit code, parsed result)."""
    b = write(tmp, "b.sigstore.json", bundle)
    r = run_cli(["verify-attestation", *extra, "--bundle", b, "--trust-root", root, "--json"])
    return r.exit_code, json.loads(r.stdout)


def expect(
    run_cli: Run, tmp: Path, bundle: bytes, root: str | Path, code: str, *extra: str
) -> None:
    rc, doc = verify(run_cli, tmp, bundle, root, *extra)
    assert (rc, doc["verdict"], doc["code"]) == (1, "failed", code), doc["detail"]
    assert doc["token"].get("raw") is None


def test_the_good_bundle_verifies(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(github.issuer)
    art = write(tmp_path, "app-1.0.tgz", ARTIFACT)
    rc, doc = verify(run_cli, tmp_path, made.data, github.url, str(art))
    assert (rc, doc["verdict"], doc["code"]) == (0, "verified", None)
    assert doc["token"]["binding"] == "key-bound"
    assert [c["ok"] for c in doc["checks"]] == [True] * 7
    assert made.token not in json.dumps(doc)


def test_forged_claim_edited_payload(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    def forged(aud: str) -> str:
        header, claims, sig = segments(github.issuer.mint(aud))
        claims["repository"] = "mallory/app"
        claims["workflow_ref"] = claims["workflow_ref"].replace("acme/app", "mallory/app", 1)
        good = github.issuer.mint(aud).split(".")
        return ".".join([good[0], unsigned(header, claims).split(".")[1], sig])

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-signature",
    )


def test_forged_claim_attacker_key_under_the_issuers_kid(
    run_cli: Run, tmp_path: Path, github: RunningOidc
) -> None:
    attacker = ec.generate_private_key(ec.SECP256R1())

    def forged(aud: str) -> str:
        header, claims, _ = segments(github.issuer.mint(aud))
        claims["sha"] = "0" * 40
        return sign_es256(attacker, header, claims)

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-signature",
    )


def test_wrong_issuer_another_issuer(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    with start_oidc() as other:
        made = make_bundle(other.issuer)
    expect(run_cli, tmp_path, made.data, github.url, "token-kid")


def test_wrong_issuer_another_iss(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(
        github.issuer,
        token_for=lambda aud: github.issuer.mint(aud, claims={"iss": "https://evil.example"}),
    )
    expect(run_cli, tmp_path, made.data, github.url, "token-issuer")


def test_wrong_issuer_discovery_names_another(
    run_cli: Run, tmp_path: Path, fresh: RunningOidc
) -> None:
    made = make_bundle(fresh.issuer)
    fresh.issuer.discovery_issuer = "https://other.example"
    expect(run_cli, tmp_path, made.data, fresh.url, "token-issuer")


def test_expired_time_bound_token(run_cli: Run, tmp_path: Path, gitlab: RunningOidc) -> None:
    token = gitlab.issuer.mint(
        "evidence-anchor", claims={"iat": 1_000_000, "nbf": 1_000_000, "exp": 1_000_600}
    )
    made = make_bundle(gitlab.issuer, token=token)
    expect(run_cli, tmp_path, made.data, gitlab.url, "token-expired")


def test_time_bound_token_verifies_inside_its_window(
    run_cli: Run, tmp_path: Path, gitlab: RunningOidc
) -> None:
    made = make_bundle(gitlab.issuer, token=gitlab.issuer.mint("evidence-anchor"))
    rc, doc = verify(run_cli, tmp_path, made.data, gitlab.url)
    assert (rc, doc["code"], doc["token"]["binding"]) == (0, None, "time-bound")
    expect(run_cli, tmp_path, made.data, gitlab.url, "token-audience", "--audience", "someone-else")


def test_wrong_audience_default_audience(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(github.issuer, token=github.issuer.mint("https://github.com/acme"))
    expect(run_cli, tmp_path, made.data, github.url, "token-audience")


def test_wrong_audience_key_swap(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(github.issuer)
    swapped = resign(made, made.payload, key=EphemeralKey())
    expect(run_cli, tmp_path, swapped, github.url, "token-audience")


def test_unknown_kid_after_rotation_passes_against_a_snapshot(
    run_cli: Run, tmp_path: Path, fresh: RunningOidc
) -> None:
    made = make_bundle(fresh.issuer)
    snapshot = root_file(fresh.issuer, tmp_path / "before.json")
    fresh.issuer.rotate()
    expect(run_cli, tmp_path, made.data, fresh.url, "token-kid")
    rc, doc = verify(run_cli, tmp_path, made.data, snapshot)
    assert (rc, doc["verdict"]) == (0, "verified")
    # online: discovery, JWKS, then exactly one refetch of the JWKS for the unknown kid
    _, online = verify(run_cli, tmp_path, made.data, fresh.url)
    assert [e["url"].rsplit("/", 1)[-1] for e in online["egress"]] == [
        "openid-configuration",
        "jwks",
        "jwks",
    ]


def _kid(issuer_run: RunningOidc, alg: str = "ES256") -> str:
    return str(issuer_run.issuer.key(alg).kid)


def test_alg_none(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    def forged(aud: str) -> str:
        _, claims, _ = segments(github.issuer.mint(aud))
        return unsigned({"alg": "none", "kid": _kid(github)}, claims)

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-alg",
    )


def test_hs256_keyed_with_the_issuers_public_key(
    run_cli: Run, tmp_path: Path, github: RunningOidc
) -> None:
    def forged(aud: str) -> str:
        _, claims, _ = segments(github.issuer.mint(aud))
        return sign_hs256(public_pem(github.issuer), {"alg": "HS256", "kid": _kid(github)}, claims)

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-alg",
    )


def test_rs256_header_on_an_ec_kid(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def forged(aud: str) -> str:
        _, claims, _ = segments(github.issuer.mint(aud))
        return sign_rs256(attacker, {"alg": "RS256", "kid": _kid(github)}, claims)

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-alg",
    )


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_key_location_headers_are_refused(
    run_cli: Run, tmp_path: Path, github: RunningOidc, header: str
) -> None:
    def forged(aud: str) -> str:
        head, claims, _ = segments(github.issuer.mint(aud))
        head[header] = "https://evil.example/keys" if header != "jwk" else {"kty": "EC"}
        return sign_es256(github.issuer.key("ES256").private_key, head, claims)

    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer, token_for=forged).data,
        github.url,
        "token-alg",
    )


def test_rs256_token_of_the_issuer_verifies(
    run_cli: Run, tmp_path: Path, github: RunningOidc
) -> None:
    made = make_bundle(github.issuer, token_for=lambda aud: github.issuer.mint(aud, alg="RS256"))
    rc, doc = verify(run_cli, tmp_path, made.data, github.url)
    assert (rc, doc["code"], doc["token"]["alg"]) == (0, None, "RS256")


def test_tampered_statement(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(github.issuer)
    doc = made.doc()
    doc["dsseEnvelope"]["payload"] = b64encode(made.payload.replace(b"app-1.0.tgz", b"app-6.6.tgz"))
    expect(run_cli, tmp_path, json.dumps(doc).encode(), github.url, "dsse-signature")


def test_tampered_signature(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    made = make_bundle(github.issuer)
    doc = made.doc()
    sig = bytearray(__import__("base64").b64decode(doc["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 0x01
    doc["dsseEnvelope"]["signatures"][0]["sig"] = b64encode(bytes(sig))
    expect(run_cli, tmp_path, json.dumps(doc).encode(), github.url, "dsse-signature")


def test_two_signatures(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    doc = make_bundle(github.issuer).doc()
    doc["dsseEnvelope"]["signatures"] *= 2
    expect(run_cli, tmp_path, json.dumps(doc).encode(), github.url, "bundle-malformed")


@pytest.mark.parametrize("where", ["top", "envelope", "signature", "material"])
def test_an_extra_field(run_cli: Run, tmp_path: Path, github: RunningOidc, where: str) -> None:
    doc = make_bundle(github.issuer).doc()
    target = {
        "top": doc,
        "envelope": doc["dsseEnvelope"],
        "signature": doc["dsseEnvelope"]["signatures"][0],
        "material": doc["verificationMaterial"],
    }[where]
    target["extra"] = 1
    expect(run_cli, tmp_path, json.dumps(doc).encode(), github.url, "bundle-malformed")


def test_a_duplicate_key(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    data = make_bundle(github.issuer).data
    dup = data.replace(b'{"mediaType"', b'{"mediaType":"x","mediaType"', 1)
    expect(run_cli, tmp_path, dup, github.url, "bundle-malformed")


GITHUB_FIELDS = {
    "repository": {"repository": "mallory/app"},
    "ref": {"ref": "refs/heads/evil"},
    "sha": {"commit": "1" * 40},
    "workflow_ref": {"workflow_path": ".github/workflows/other.yml"},
    "run_id": {"run_id": "999"},
    "run_attempt": {"run_attempt": "7"},
}
GITLAB_FIELDS = {
    "project_path": {"repository": "mallory/app"},
    "ref": {"ref": "evil"},
    "sha": {"commit": "1" * 40},
    "ci_config_ref_uri": {"workflow_ref": "gitlab.example/acme/app//evil.yml@refs/heads/main"},
    "pipeline_id": {"run_id": "999"},
    "job_id": {"job_id": "1"},
}


@pytest.mark.parametrize("field", sorted(GITHUB_FIELDS))
def test_each_github_identity_field(
    run_cli: Run, tmp_path: Path, github: RunningOidc, field: str
) -> None:
    made = make_bundle(github.issuer, ctx_edit=GITHUB_FIELDS[field])
    expect(run_cli, tmp_path, made.data, github.url, f"identity-mismatch:{field}")


@pytest.mark.parametrize("field", sorted(GITLAB_FIELDS))
def test_each_gitlab_identity_field(
    run_cli: Run, tmp_path: Path, gitlab: RunningOidc, field: str
) -> None:
    made = make_bundle(
        gitlab.issuer, token=gitlab.issuer.mint("evidence-anchor"), ctx_edit=GITLAB_FIELDS[field]
    )
    expect(run_cli, tmp_path, made.data, gitlab.url, f"identity-mismatch:{field}")


def test_the_wrong_artifact(run_cli: Run, tmp_path: Path, github: RunningOidc) -> None:
    other = write(tmp_path, "other.tgz", b"not the release\n")
    expect(
        run_cli,
        tmp_path,
        make_bundle(github.issuer).data,
        github.url,
        "subject-mismatch",
        str(other),
    )
