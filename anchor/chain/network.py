"""The Cardano networks `anchor` publishes to, with their per-network defaults.

A :class:`Network` is a frozen value with named constructors
(:meth:`Network.mainnet`, :meth:`Network.preprod`, :meth:`Network.preview`,
:meth:`Network.devnet`), :func:`network_by_name` for the ``--network`` flag and
:func:`network_by_magic` for a provider's ``/genesis`` answer. It
carries what differs between networks and nothing else: the address network id, the
Blockfrost public endpoint (the full API root, version path included), and the
confirmation depth and waiting time used when the user gives none.
"""

from __future__ import annotations

from dataclasses import dataclass

from anchor.errors import InputError

NETWORK_NAMES = ("devnet", "preview", "preprod", "mainnet")
NETWORK_ENV = "ANCHOR_NETWORK"  # the environment variable behind every ``--network`` flag

DEVNET_DEFAULT_URL = "http://127.0.0.1:8090/api/v0"
PUBLIC_CONFIRMATIONS = 15
DEVNET_CONFIRMATIONS = 1


@dataclass(frozen=True)
class Network:
    """One Cardano network and the defaults `anchor publish` uses on it.

    ``network_id`` is the address/body network id (1 mainnet, 0 every testnet);
    ``blockfrost_url`` is the provider's API root for this network;
    ``default_confirmations`` and ``default_timeout`` (seconds) bound confirmation
    waiting; ``default_ttl`` is the validity window in slots given to a transaction;
    ``poll_interval`` (seconds) is how often confirmation waiting asks the provider.
    """

    name: str
    network_id: int
    magic: int
    blockfrost_url: str
    public: bool
    default_confirmations: int
    default_timeout: float
    default_ttl: int
    poll_interval: float

    @property
    def is_mainnet(self) -> bool:
        """True only for Cardano mainnet (network id 1)."""
        return self.network_id == 1

    @classmethod
    def _public(cls, name: str, *, network_id: int, magic: int) -> Network:
        """A public network: hosted Blockfrost endpoint, 15 confirmations, 2-hour validity."""
        return cls(
            name=name,
            network_id=network_id,
            magic=magic,
            blockfrost_url=f"https://cardano-{name}.blockfrost.io/api/v0",
            public=True,
            default_confirmations=PUBLIC_CONFIRMATIONS,
            default_timeout=900.0,
            default_ttl=7200,
            poll_interval=5.0,
        )

    @classmethod
    def mainnet(cls) -> Network:
        """Cardano mainnet."""
        return cls._public("mainnet", network_id=1, magic=764824073)

    @classmethod
    def preprod(cls) -> Network:
        """The pre-production testnet."""
        return cls._public("preprod", network_id=0, magic=1)

    @classmethod
    def preview(cls) -> Network:
        """The preview testnet."""
        return cls._public("preview", network_id=0, magic=2)

    @classmethod
    def devnet(cls) -> Network:
        """The local devnet served by `anchor devnet` (Blockfrost API on 127.0.0.1)."""
        return cls(
            name="devnet",
            network_id=0,
            magic=42,
            blockfrost_url=DEVNET_DEFAULT_URL,
            public=False,
            default_confirmations=DEVNET_CONFIRMATIONS,
            default_timeout=60.0,
            default_ttl=3600,
            poll_interval=0.2,
        )


_FACTORIES = {
    "mainnet": Network.mainnet,
    "preprod": Network.preprod,
    "preview": Network.preview,
    "devnet": Network.devnet,
}


def network_by_name(name: str) -> Network:
    """The network called ``name`` (case-insensitive); an unknown name is an :class:`InputError`."""
    factory = _FACTORIES.get(name.strip().lower())
    if factory is None:
        raise InputError(f"unknown network {name!r}; expected one of {', '.join(NETWORK_NAMES)}")
    return factory()


def network_by_magic(magic: int) -> Network | None:
    """The known network whose network magic is ``magic``, or None."""
    for factory in _FACTORIES.values():
        network = factory()
        if network.magic == magic:
            return network
    return None
