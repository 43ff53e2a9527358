"""Which Label 309 this package implements: the standard's commit and the declared profile.

This module is the single source of truth for both. ``anchor --version`` prints them,
the verify report's ``profile`` and ``verifier.profile`` come from :data:`PROFILE`, and the
Makefile's ``CIP309_COMMIT`` (what ``make vectors`` fetches) is read from
:data:`STANDARD_COMMIT` (tests/unit/label309/test_standard.py checks that they agree).
"""

from __future__ import annotations

from typing import Final

STANDARD_NAME: Final = "Label 309"
STANDARD_REPOSITORY: Final = "https://github.com/cardanowall/cip309"
# The commit whose spec, registries and conformance vectors this package conforms to.
STANDARD_COMMIT: Final = "35bebfc08c92be8afb70646363205b786b96d438"
STANDARD_COMMIT_DATE: Final = "2026-06-13"
# Profiles nest core < signed < sealed < recipient-sealed; we declare sealed (enc and sigs
# are in profile, so OUT_OF_PROFILE_SKIPPED never arises).
PROFILE: Final = "sealed"
