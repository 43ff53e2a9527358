"""Pipeline steps 1-2: resolve the transaction and bind its bytes to the requested hash.

Online, :func:`resolve_online` walks the ordered provider chain. Each provider's raw
CBOR is split and bound (``blake2b-256(body) == tx hash``, ``blake2b-256(aux) ==
body[7]``, over the bytes as fetched); a response that fails the binding is
discarded and the next provider is tried. "Unknown transaction" is not
authoritative, so every provider is tried before ``TX_NOT_FOUND``; when none gave a
usable answer the result is ``PROVIDER_UNAVAILABLE``; when every answer failed the
binding, ``TX_INTEGRITY_MISMATCH``. A deny-list refusal is terminal
(``SERVICE_INDEPENDENCE_VIOLATION``). Block facts are then asked of every provider
whose answer was not discarded (a provider that served bytes failing the binding is
not trusted for facts either; Koios even serves both in one response), so they can be
compared. When no provider gives them, the bound record is still returned with a
``PROVIDER_UNAVAILABLE`` issue: structural validation precedes the depth check, so a
malformed record is ``failed`` whatever the block facts.

Before anything else, each provider that has a genesis endpoint is asked which network
it serves (``/genesis`` network magic, as ``anchor publish`` does): a provider of
another network is not used at all (``PROVIDER_WRONG_NETWORK``, a warning), and when
every provider serves another network the run is refused (InputError, exit 4): the
auditor's ``--network`` and providers do not match. The devnet's ``system_start``
comes from the same answer (its slot clock starts there).

Offline, :func:`bind_offline` binds given transaction bytes the same way.

Both return a :class:`Resolution` whose ``attempts`` say what each provider did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from anchor.chain.network import network_by_magic, network_by_name
from anchor.chain.readers import ChainReader, ReaderError, TxUnknown
from anchor.errors import InputError
from anchor.label309 import codes as c
from anchor.label309.codes import Issue
from anchor.label309.txbind import BindFailed, BindOk, TxBindError, bind, split_tx
from anchor.verify.chainfacts import Observation
from anchor.verify.egress import EgressRefused
from anchor.verify.report import Finding
from anchor.verify.verdict import EFFECT_WARNING, PROVIDER_WRONG_NETWORK, make_issue

BindOutcome = BindOk | BindFailed


@dataclass(frozen=True)
class Attempt:
    """What one provider did for one step: ``outcome`` is a short word, ``detail`` one line."""

    provider: str
    step: str
    outcome: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        """Report form."""
        return {
            "provider": self.provider,
            "step": self.step,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Resolution:
    """Outcome of steps 1-2 (and the block-facts gathering that goes with them).

    ``bound`` is the binding result of the surviving response (``BindOk``, or a
    ``BindFailed`` whose code is record-attributable: METADATA_NOT_FOUND or a carriage
    code). When nothing survived, ``bound`` is None and ``issue`` says why. When a
    response survived but no provider gave block facts, ``bound`` is set, ``observations``
    is empty and ``issue`` is ``PROVIDER_UNAVAILABLE``.
    """

    tx_hash: str
    bound: BindOutcome | None
    issue: Issue | None
    attempts: tuple[Attempt, ...]
    observations: tuple[Observation, ...] = ()
    tx_bytes: bytes | None = None
    findings: tuple[Finding, ...] = ()
    system_start: int | None = None
    served_by: str = ""  # ``name endpoint`` of the provider whose bytes were bound


def bind_bytes(tx_hash: bytes, tx_bytes: bytes) -> BindOutcome:
    """Split a full signed transaction and bind it to ``tx_hash`` (never raises for bytes)."""
    try:
        parts = split_tx(tx_bytes)
        return bind(tx_hash, parts.body, parts.aux)
    except TxBindError as exc:
        return BindFailed(c.TX_INTEGRITY_MISMATCH, exc.detail)
    except (RecursionError, MemoryError):
        return BindFailed(c.TX_INTEGRITY_MISMATCH, "transaction bytes nest too deep to read")


def bind_offline(tx_hash: str, tx_bytes: bytes, *, source: str) -> Resolution:
    """Bind transaction bytes read from a file (``source`` names it in the report)."""
    outcome = bind_bytes(bytes.fromhex(tx_hash), tx_bytes)
    if isinstance(outcome, BindFailed) and outcome.code == c.TX_INTEGRITY_MISMATCH:
        attempt = Attempt(source, "fetch", "integrity-mismatch", outcome.reason)
        issue = make_issue(c.TX_INTEGRITY_MISMATCH, f"{source}: {outcome.reason}")
        return Resolution(tx_hash, None, issue, (attempt,), tx_bytes=tx_bytes)
    return Resolution(
        tx_hash, outcome, None, (Attempt(source, "fetch", "bound"),), tx_bytes=tx_bytes
    )


def _refused(tx_hash: str, exc: EgressRefused, attempts: list[Attempt]) -> Resolution:
    return Resolution(tx_hash, None, make_issue(exc.code, exc.detail), tuple(attempts))


def _endpoint(reader: ChainReader) -> str:
    return str(getattr(reader, "base_url", ""))


def _networks(
    readers: Sequence[ChainReader], network: str | None, attempts: list[Attempt]
) -> tuple[list[ChainReader], list[Finding], int | None]:
    """The readers that serve ``network`` (or cannot say), findings, the devnet's start."""
    if network is None:
        return list(readers), [], None
    want = network_by_name(network)
    usable: list[ChainReader] = []
    findings: list[Finding] = []
    refused: list[str] = []
    start: int | None = None
    for reader in readers:
        ask = getattr(reader, "genesis", None)
        try:
            genesis = ask() if ask is not None else None
        except EgressRefused as exc:
            if exc.code == c.SERVICE_INDEPENDENCE_VIOLATION:
                attempts.append(Attempt(reader.name, "genesis", "refused", exc.detail))
                raise
            genesis = None
        if genesis is None or genesis.magic == want.magic:
            usable.append(reader)
            if genesis is not None and start is None:
                start = genesis.system_start
            continue
        known = network_by_magic(genesis.magic)
        served = known.name if known else f"an unknown network (magic {genesis.magic})"
        why = f"{reader.name} at {_endpoint(reader)} serves {served}, not {network}"
        attempts.append(Attempt(reader.name, "genesis", "wrong-network", why))
        findings.append(Finding(PROVIDER_WRONG_NETWORK, EFFECT_WARNING, why + "; not used"))
        refused.append(why)
    if readers and not usable:
        raise InputError(
            f"--network {network}, but " + "; ".join(refused),
            hint="pass the --network the providers serve, or providers of that network",
        )
    return usable, findings, start


def resolve_online(
    tx_hash: str, readers: Sequence[ChainReader], *, network: str | None = None
) -> Resolution:
    """Steps 1-2 over the ordered provider chain, then block facts from every provider.

    With ``network``, providers serving another network are left out first (see the
    module docstring).
    """
    requested = bytes.fromhex(tx_hash)
    attempts: list[Attempt] = []
    try:
        readers, findings, start = _networks(readers, network, attempts)
    except EgressRefused as exc:
        return _refused(tx_hash, exc, attempts)
    survivor: BindOutcome | None = None
    tx_bytes: bytes | None = None
    served_by = ""
    discarded: set[int] = set()
    for position, reader in enumerate(readers):
        try:
            raw = reader.fetch_tx_cbor(tx_hash)
        except TxUnknown as exc:
            attempts.append(Attempt(reader.name, "fetch", "not-found", exc.message))
            continue
        except ReaderError as exc:
            attempts.append(Attempt(reader.name, "fetch", "unavailable", exc.message))
            continue
        except EgressRefused as exc:
            attempts.append(Attempt(reader.name, "fetch", "refused", exc.detail))
            if exc.code == c.SERVICE_INDEPENDENCE_VIOLATION:
                return _refused(tx_hash, exc, attempts)
            continue
        outcome = bind_bytes(requested, raw)
        if isinstance(outcome, BindFailed) and outcome.code == c.TX_INTEGRITY_MISMATCH:
            attempts.append(Attempt(reader.name, "fetch", "integrity-mismatch", outcome.reason))
            discarded.add(position)
            continue
        attempts.append(Attempt(reader.name, "fetch", "bound"))
        survivor, tx_bytes = outcome, raw
        served_by = f"{reader.name} {_endpoint(reader)}".strip()
        break
    if survivor is None:
        outcomes = {a.outcome for a in attempts}
        if "integrity-mismatch" in outcomes:
            issue = make_issue(
                c.TX_INTEGRITY_MISMATCH, "no provider served bytes bound to the requested hash"
            )
        elif "not-found" in outcomes:
            issue = make_issue(c.TX_NOT_FOUND, f"no provider knows transaction {tx_hash}")
        else:
            issue = make_issue(c.PROVIDER_UNAVAILABLE, "no provider gave a usable answer")
        return Resolution(tx_hash, None, issue, tuple(attempts), findings=tuple(findings))
    observations: list[Observation] = []
    for position, reader in enumerate(readers):
        if position in discarded:
            why = "its transaction bytes failed the binding; its block facts are not used"
            attempts.append(Attempt(reader.name, "block-facts", "skipped", why))
            continue
        try:
            facts = reader.tx_block_facts(tx_hash)
            if facts is None:
                attempts.append(Attempt(reader.name, "block-facts", "no-block"))
                continue
            tip = reader.tip_height()
        except ReaderError as exc:
            attempts.append(Attempt(reader.name, "block-facts", "unavailable", exc.message))
            continue
        except EgressRefused as exc:
            attempts.append(Attempt(reader.name, "block-facts", "refused", exc.detail))
            if exc.code == c.SERVICE_INDEPENDENCE_VIOLATION:
                return _refused(tx_hash, exc, attempts)
            continue
        attempts.append(Attempt(reader.name, "block-facts", "ok"))
        observations.append(
            Observation.from_block_facts(reader.name, facts, tip, endpoint=_endpoint(reader))
        )
    no_facts = None
    if not observations:
        no_facts = make_issue(
            c.PROVIDER_UNAVAILABLE, "no provider gave the including block's facts"
        )
    return Resolution(
        tx_hash,
        survivor,
        no_facts,
        tuple(attempts),
        tuple(observations),
        tx_bytes=tx_bytes,
        findings=tuple(findings),
        system_start=start,
        served_by=served_by,
    )
