"""Pinned numeric constants of the standard that more than one module needs.

These are facts of the Label 309 registries at the pinned commit
(``registries/kdf-algorithms.json``, the carriage section of the spec), written as
data so nothing reads the standard's files at run time. Conformance tests check
them against ``kdf/argon2id-params-consts.json`` and the registry.

The Argon2id floors are what the structural validator enforces on
``items[i].enc.passphrase.params`` (``ENC_PASSPHRASE_ARGON2_PARAMS_TOO_LOW``);
the output length is fixed and never carried on the wire.
"""

from __future__ import annotations

from typing import Final

# Carriage (metadata label 309, whole-body chunk array).
METADATA_LABEL: Final = 309
MAX_CHUNK_BYTES: Final = 64

# Argon2id (RFC 9106, version 0x13) passphrase-KDF floors and fixed parameters.
ARGON2ID_VERSION: Final = 0x13
ARGON2ID_M_MIN_KIB: Final = 65536
ARGON2ID_T_MIN: Final = 3
ARGON2ID_P_MIN: Final = 1
ARGON2ID_P_RECOMMENDED: Final = 4
ARGON2ID_OUTPUT_BYTES: Final = 32
ARGON2ID_PARAM_VALUE_MAX: Final = 2**32 - 1
ARGON2ID_SALT_MIN_BYTES: Final = 16
ARGON2ID_SALT_MAX_BYTES: Final = 64
