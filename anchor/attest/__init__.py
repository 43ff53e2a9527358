"""Build provenance: in-toto SLSA v1 statements, DSSE signatures, bundles and their verification.

Pure layer (bytes and values in, values out; the only I/O is through injected HTTP clients):

* :mod:`~anchor.attest.dsse` — PAE, the ephemeral P-256 key, ECDSA-SHA256 DER sign/verify;
* :mod:`~anchor.attest.statement` — the Statement v1 / SLSA Provenance v1 builder and parser;
* :mod:`~anchor.attest.bundle` — the Sigstore bundle v0.3 shape, written and parsed strictly;
* :mod:`~anchor.attest.token` — the OIDC identity token checks (joserfc, ES256/RS256 only);
* :mod:`~anchor.attest.identity` — statement-versus-claims maps per CI platform;
* :mod:`~anchor.attest.trustroot` — the trusted issuer and its keys (file or discovery);
* :mod:`~anchor.attest.verify` — the verification steps, in order, each with its code;
* :mod:`~anchor.attest.produce` — ``anchor attest``: key, token, statement, signature, bundle.
"""
