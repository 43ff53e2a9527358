"""Served test issuers (GitHub-style and GitLab-style claims) and their trust-root files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor.devnet.oidc import OidcIssuer, RunningOidc, start_oidc


def root_file(issuer: OidcIssuer, path: Path) -> Path:
    """Write the issuer's current trust-root file (issuer + JWKS) to ``path``."""
    path.write_text(json.dumps({"issuer": issuer.url, "jwks": issuer.jwks()}))
    return path


@pytest.fixture(scope="module")
def github() -> Iterator[RunningOidc]:
    with start_oidc() as running:
        yield running


@pytest.fixture(scope="module")
def gitlab() -> Iterator[RunningOidc]:
    with start_oidc(gitlab=True) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[RunningOidc]:
    """An issuer of the test's own, for tests that rotate keys or bend discovery."""
    with start_oidc() as running:
        yield running
