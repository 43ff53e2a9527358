"""Networks: names, ids, public endpoints and the per-network publish defaults."""

from __future__ import annotations

import pytest

from anchor.chain.network import (
    DEVNET_DEFAULT_URL,
    NETWORK_NAMES,
    Network,
    network_by_magic,
    network_by_name,
)
from anchor.errors import InputError


def test_every_name_resolves_to_its_network() -> None:
    assert [network_by_name(n).name for n in NETWORK_NAMES] == list(NETWORK_NAMES)
    assert network_by_name(" MainNet ").name == "mainnet"


def test_ids_and_endpoints() -> None:
    assert (Network.mainnet().network_id, Network.mainnet().is_mainnet) == (1, True)
    for net in (Network.preprod(), Network.preview(), Network.devnet()):
        assert (net.network_id, net.is_mainnet) == (0, False)
    assert Network.preprod().blockfrost_url == "https://cardano-preprod.blockfrost.io/api/v0"
    assert Network.mainnet().blockfrost_url == "https://cardano-mainnet.blockfrost.io/api/v0"


def test_confirmation_defaults_15_public_1_devnet() -> None:
    assert Network.mainnet().default_confirmations == 15
    assert Network.preview().default_confirmations == 15
    assert Network.devnet().default_confirmations == 1
    assert Network.devnet().default_timeout < Network.mainnet().default_timeout


def test_devnet_default_url_matches_the_devnet_default_port() -> None:
    from anchor.devnet import API_PREFIX, DEFAULT_PORT

    assert f"http://127.0.0.1:{DEFAULT_PORT}{API_PREFIX}" == DEVNET_DEFAULT_URL
    assert Network.devnet().blockfrost_url == DEVNET_DEFAULT_URL


def test_unknown_network_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown network 'testnet'"):
        network_by_name("testnet")


def test_every_network_is_found_by_its_magic() -> None:
    for name in NETWORK_NAMES:
        found = network_by_magic(network_by_name(name).magic)
        assert found is not None and found.name == name
    assert [network_by_magic(m) for m in (1, 2, 42, 764824073)] == [
        Network.preprod(),
        Network.preview(),
        Network.devnet(),
        Network.mainnet(),
    ]
    assert network_by_magic(3) is None
