"""Where ``verify-attestation`` gets its inputs: a bundle and a trust root, each a file or a URL.

URLs go through the verifier's :class:`~anchor.verify.egress.Egress`, so every request is
recorded in the report's ``egress[]``; plain ``http`` is accepted only for a loopback host.
An online trust root is loaded lazily (after the bundle's own checks) and refetches its
JWKS once when a token names an unknown kid.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from anchor.attest.codes import AttestInputError, TrustRootUnavailable
from anchor.attest.trustroot import TrustRoot, check_issuer_url, fetch, load_file
from anchor.chain.readers import HttpClient, TransportError

MAX_BUNDLE_BYTES = 4 * 1024 * 1024


def is_url(arg: str) -> bool:
    """True for an ``http://`` or ``https://`` argument."""
    return arg.startswith(("https://", "http://"))


def read_local(arg: str, what: str) -> bytes:
    """Read a local input file (exit 4 when unreadable)."""
    from anchor.errors import InputError
    from anchor.safeio import read_regular

    try:
        # a regular file only (never a FIFO or /dev/zero), at most MAX_BUNDLE_BYTES
        return read_regular(Path(arg), cap=MAX_BUNDLE_BYTES, follow=True)
    except InputError as exc:
        why = exc.message.removeprefix(f"{arg}: ")
        raise AttestInputError(f"cannot read {what} {arg}: {why}") from exc
    except OSError as exc:
        raise AttestInputError(
            f"cannot read {what} {arg}: {exc.strerror or type(exc).__name__}"
        ) from exc


def load_bundle(arg: str, client: HttpClient) -> bytes:
    """The bundle's bytes from a path or a URL (a failed download is exit 4, one line)."""
    if not is_url(arg):
        return read_local(arg, "bundle")
    check_issuer_url(arg)
    try:
        response = client.request("GET", arg, purpose="attestation")
    except TransportError as exc:
        raise AttestInputError(f"cannot fetch the bundle: {exc.message}") from None
    if response.status != 200 or len(response.content) > MAX_BUNDLE_BYTES:
        raise AttestInputError(f"cannot fetch the bundle: HTTP {response.status}")
    return response.content


def root_source(arg: str, client: HttpClient) -> TrustRoot | Callable[[], TrustRoot]:
    """A trust-root file parsed now, or a loader that runs discovery when first needed."""
    if not is_url(arg):
        return load_file(read_local(arg, "trust root"), name=arg)
    check_issuer_url(arg)

    def loader() -> TrustRoot:
        try:
            return fetch(arg, client)
        except TransportError as exc:
            raise TrustRootUnavailable(exc.message) from None

    return loader
