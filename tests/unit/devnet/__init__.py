"""Tests of the local devnet (anchor.devnet) and the `anchor devnet` command."""
