"""What a CI stage is asked to do, read from the environment, and the secrets it needs.

The GitHub Action maps its inputs onto these variables in each step's ``env:``; the
GitLab template declares them as job variables. Every value is a string there, so
booleans are ``true``/``false`` and an empty value means the default.

| variable | default | meaning |
| --- | --- | --- |
| ``ANCHOR_PATHS`` | (required by collect) | files, folders and globs to collect, separated by whitespace or newlines |
| ``ANCHOR_ROOT`` | ``.`` | the folder item names are relative to |
| ``ANCHOR_OUTPUT`` | ``evidence`` | the bundle folder |
| ``ANCHOR_NETWORK`` | ``preprod`` | ``mainnet``, ``preprod``, ``preview`` or ``devnet`` |
| ``ANCHOR_PROVIDER`` | ``blockfrost`` | the provider that submits (only ``blockfrost``: Koios only reads) |
| ``ANCHOR_PROVIDER_URL`` | (the network's public endpoint) | a Blockfrost-compatible API root, ``.../api/v0`` |
| ``ANCHOR_PUBLISH`` | ``true`` | ``false``: collect only, nothing is sent |
| ``ANCHOR_CONFIRMATIONS`` | (15; devnet 1) | blocks publish waits for and verify requires |

Secrets are only looked at, never read into a message: :func:`missing_secrets` names the
ones that are unset or blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from anchor.chain.blockfrost import PROJECT_ID_ENV
from anchor.chain.keys import IDENTITY_SEED_ENV, PAYMENT_SKEY_ENV
from anchor.chain.network import NETWORK_NAMES
from anchor.errors import InputError

PATHS = "ANCHOR_PATHS"
ROOT = "ANCHOR_ROOT"
OUTPUT = "ANCHOR_OUTPUT"
NETWORK = "ANCHOR_NETWORK"
PROVIDER = "ANCHOR_PROVIDER"
PROVIDER_URL = "ANCHOR_PROVIDER_URL"
PUBLISH = "ANCHOR_PUBLISH"
CONFIRMATIONS = "ANCHOR_CONFIRMATIONS"
VARIABLES = (PATHS, ROOT, OUTPUT, NETWORK, PROVIDER, PROVIDER_URL, PUBLISH, CONFIRMATIONS)

DEFAULT_OUTPUT = "evidence"
DEFAULT_NETWORK = "preprod"
PUBLISHING_PROVIDERS = ("blockfrost",)
READ_ONLY_PROVIDERS = ("koios",)


@dataclass(frozen=True)
class Settings:
    """One stage's settings; ``provider_url`` and ``confirmations`` are None for the defaults."""

    paths: tuple[str, ...]
    root: str
    output: str
    network: str
    provider: str
    provider_url: str | None
    publish: bool
    confirmations: int | None


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    value = env.get(name, "").strip()
    return value or default


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _get(env, name).lower()
    if not value:
        return default
    if value in ("true", "false"):
        return value == "true"
    raise InputError(f"{name} must be true or false")


def _count(env: Mapping[str, str], name: str) -> int | None:
    value = _get(env, name)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{name} must be a whole number of blocks, at least 1")
    return int(value)


def read_settings(env: Mapping[str, str]) -> Settings:
    """The settings in ``env``; InputError (exit 4) for a value that cannot be meant."""
    network = _get(env, NETWORK, DEFAULT_NETWORK).lower()
    if network not in NETWORK_NAMES:
        raise InputError(f"{NETWORK} must be one of {', '.join(NETWORK_NAMES)}")
    provider = _get(env, PROVIDER, PUBLISHING_PROVIDERS[0]).lower()
    if provider not in PUBLISHING_PROVIDERS:
        why = "it only reads the chain" if provider in READ_ONLY_PROVIDERS else "it is unknown"
        raise InputError(
            f"{PROVIDER} cannot be {provider!r}: {why}; use blockfrost (with "
            f"{PROJECT_ID_ENV}) or a Blockfrost-compatible API root in {PROVIDER_URL}"
        )
    output = _get(env, OUTPUT, DEFAULT_OUTPUT)
    if "\n" in output or "\r" in output:
        raise InputError(f"{OUTPUT} must be one folder name")
    return Settings(
        paths=tuple(env.get(PATHS, "").split()),
        root=_get(env, ROOT, "."),
        output=output,
        network=network,
        provider=provider,
        provider_url=_get(env, PROVIDER_URL) or None,
        publish=_boolean(env, PUBLISH, True),
        confirmations=_count(env, CONFIRMATIONS),
    )


def missing_secrets(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """The names of the secrets ``publish`` needs that are unset or blank in ``env``.

    The payment key always; the identity seed always (records are signed); the Blockfrost
    project id for a public network's public endpoint (a self-hosted ``ANCHOR_PROVIDER_URL``
    or the devnet may need none).
    """
    wanted = [PAYMENT_SKEY_ENV, IDENTITY_SEED_ENV]
    if settings.network != "devnet" and settings.provider_url is None:
        wanted.append(PROJECT_ID_ENV)
    return [name for name in wanted if not env.get(name, "").strip()]
