"""Fixtures for publish tests: a devnet in this process, a funded key, bundles made by collect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from anchor.chain.blockfrost import BlockfrostProvider
from anchor.chain.keys import PaymentKey
from anchor.chain.network import Network
from anchor.chain.providers import (
    ProtocolParams,
    ProviderRejected,
    ProviderUnavailable,
    RetryPolicy,
    SubmitOutcomeUnknown,
    Tip,
    Utxo,
)
from anchor.chain.readers import BlockfrostReader, HttpxClient
from anchor.devnet import RunningDevnet, start_devnet
from anchor.publish.pipeline import (
    DryRunOutcome,
    Event,
    PublishOptions,
    PublishOutcome,
    publish_bundle,
)

PAYMENT = PaymentKey.from_seed(bytes([7]) * 32)
IDENTITY_SEED = bytes(range(100, 132))
FAST = RetryPolicy(attempts=2, base_delay=0.0, max_total=2.0)


class Crash(BaseException):
    """Simulated process death (not an Exception, so nothing in the code under test catches it)."""


def make_bundle(root: Path, files: dict[str, bytes], *, name: str = "bundle") -> Path:
    """Collect ``files`` (relative name -> bytes) into ``root/name`` with the evidence library."""
    from anchor.evidence.bundle import write_bundle
    from anchor.evidence.collect import build_bundle, plan
    from anchor.evidence.metadata import Metadata

    src = root / f"{name}-src"
    for rel, data in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    the_plan = plan([str(src)], root=str(src))
    bundle = build_bundle(the_plan, metadata=Metadata(name="demo", version="1.0.0"), workers=1)
    out = root / name
    write_bundle(bundle, str(out))
    return out


THREE = {
    "dist/app.tgz": b"app bytes\n",
    "sbom.cdx.json": b'{"bomFormat":"CycloneDX"}',
    "log.txt": b"ok\n",
}


@dataclass
class Wrapped:
    """A provider around the devnet's that can crash around submit or serve a stale UTxO set."""

    inner: BlockfrostProvider
    crash_before_submit: bool = False
    crash_after_submit: bool = False
    unavailable_on_submit: bool = False
    lost_answer_on_submit: bool = False
    stale_utxos: list[Utxo] | None = None
    submitted: list[bytes] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def url(self) -> str:
        return self.inner.url

    def protocol_params(self) -> ProtocolParams:
        return self.inner.protocol_params()

    def utxos(self, address: str) -> list[Utxo]:
        if self.stale_utxos is not None:
            return list(self.stale_utxos)
        return self.inner.utxos(address)

    def tip(self) -> Tip:
        return self.inner.tip()

    def submit(self, tx_bytes: bytes) -> str:
        if self.crash_before_submit:
            raise Crash("died before submit")
        if self.unavailable_on_submit:
            raise ProviderUnavailable("blockfrost", "transaction submission failed: HTTP 502")
        self.submitted.append(tx_bytes)
        try:
            tx_id = self.inner.submit(tx_bytes)
        except ProviderRejected as exc:
            if self.lost_answer_on_submit:
                # Refused (the first attempt is in the mempool) and that answer lost as well.
                raise SubmitOutcomeUnknown("blockfrost", exc.reason) from exc
            raise
        if self.lost_answer_on_submit:
            # The node took it, the answer was lost, the retry was refused by the mempool.
            raise SubmitOutcomeUnknown("blockfrost", "BadInputsUTxO: inputs already spent")
        if self.crash_after_submit:
            raise Crash("died after submit")
        return tx_id


@dataclass
class Env:
    """The devnet, a provider and reader on it, and a publish call with test defaults."""

    net: RunningDevnet
    provider: Wrapped
    reader: BlockfrostReader
    events: list[Event] = field(default_factory=list)

    def publish(self, bundle: Path, **overrides: Any) -> PublishOutcome | DryRunOutcome:
        seed = overrides.pop("identity_seed", IDENTITY_SEED)
        blocks = overrides.pop("cut_blocks", True)
        options = PublishOptions(
            network=Network.devnet(),
            confirmations=overrides.pop("confirmations", 1),
            timeout=overrides.pop("timeout", 5.0),
            ttl_slots=overrides.pop("ttl_slots", 100),
            poll_interval=0.01,
            **overrides,
        )
        sleep: Callable[[float], None] = (
            (lambda _s: self.net.cut_block()) if blocks else (lambda _s: None)
        )
        return publish_bundle(
            bundle,
            identity_seed=seed,
            payment_key=PAYMENT,
            provider=self.provider,
            readers=[self.reader],
            options=options,
            on_event=self.events.append,
            sleep=sleep,
        )

    def chain_txs(self) -> list[str]:
        """Ids (hex) of every transaction in a block (the devnet's genesis funds are not txs)."""
        return [tx_id.hex() for tx_id in self.net.state.txs]


@pytest.fixture
def env() -> Iterator[Env]:
    fixed = 1_800_000_000.0
    with start_devnet(port=0, funds={PAYMENT.address(0): 50_000_000}, clock=lambda: fixed) as net:
        client = HttpxClient(timeout=5.0)
        provider = Wrapped(BlockfrostProvider(net.url, retry=FAST))
        yield Env(net, provider, BlockfrostReader(net.url, client=client))
        client.close()
