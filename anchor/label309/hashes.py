"""The hash functions the standard names: SHA-256, BLAKE2b-256 and BLAKE2b-224.

``blake2b_256`` is BLAKE2b parameterised for a 32-byte digest (``digest_size=32``).
That is a different function from BLAKE2b-512 truncated to 32 bytes: the output
length is an input of the BLAKE2b parameter block, so the two disagree on every
input (for empty input ``0e5751c0…`` versus ``786a02f7…``). Cardano's transaction
id, ``auxiliary_data_hash`` and the record's ``blake2b-256`` content hash are all
the parameterised form; key hashes in addresses are the 28-byte form.
"""

from __future__ import annotations

import hashlib

SHA256_LEN = 32
BLAKE2B_256_LEN = 32
BLAKE2B_224_LEN = 28


def sha256(data: bytes | bytearray | memoryview) -> bytes:
    """SHA-256 (FIPS 180-4) of ``data``: 32 bytes."""
    return hashlib.sha256(data).digest()


def blake2b_256(data: bytes | bytearray | memoryview) -> bytes:
    """BLAKE2b with a 32-byte digest parameter (not truncated BLAKE2b-512): 32 bytes."""
    return hashlib.blake2b(data, digest_size=BLAKE2B_256_LEN).digest()


def blake2b_224(data: bytes | bytearray | memoryview) -> bytes:
    """BLAKE2b with a 28-byte digest parameter, as used for Cardano key hashes: 28 bytes."""
    return hashlib.blake2b(data, digest_size=BLAKE2B_224_LEN).digest()
