"""Evidence collection: inputs, streaming digests, classification and the manifest.

The layer turns a set of release files into an evidence bundle (``manifest.json``,
``leaves.cbor``, ``proofs/``); the on-disk contract is documented in ``docs/bundle.md``.
Entry point: :func:`anchor.evidence.collect.collect`, then
:func:`anchor.evidence.bundle.write_bundle`. Nothing here prints; progress is reported
through a callback supplied by the caller.
"""
