"""Read-only chain providers: raw transaction CBOR, block facts and the tip, over an injected HTTP client.

A :class:`ChainReader` answers three questions about a transaction and nothing else:
its raw CBOR bytes exactly as the provider serves them (never a JSON projection of
the metadata), the facts of the block that includes it, and the current tip height.
Implementations (:class:`BlockfrostReader`, :class:`KoiosReader`) take an
:class:`HttpClient`, so the verifier passes its recording egress wrapper, publish
passes a plain client and tests pass a fake. Provider answers are converted into
frozen dataclasses at this boundary.

Failure vocabulary (all :class:`ReaderError`, exit 5 when they reach the CLI):

* :class:`TxUnknown` — the provider says it does not know the transaction. Not
  authoritative: a caller with several providers should ask the others.
* :class:`ReaderUnavailable` — no usable answer: transport failure, an unexpected
  status (redirects are never followed), a body that does not parse (garbage, JSON
  nested too deep for the parser), or a value out of range (a ``block_time`` past
  9999-12-31, an integer beyond 2**63 - 1): one provider's failure, never a crash.

Every request made through :class:`HttpxClient` has a total deadline (``timeout``
seconds from its start, whatever the peer does), and an optional run deadline bounds
all of them together (:mod:`anchor.chain.deadline_http`).

Exceptions that are not :class:`TransportError` (for example an egress policy
refusal) pass through untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from anchor.chain.network import network_by_name
from anchor.errors import EnvironmentFailure

NETWORKS = ("mainnet", "preprod", "preview", "devnet")

BLOCKFROST_DEFAULT_URLS = {
    name: network_by_name(name).blockfrost_url for name in ("mainnet", "preprod", "preview")
}
KOIOS_DEFAULT_URLS = {
    "mainnet": "https://api.koios.rest/api/v1",
    "preprod": "https://preprod.koios.rest/api/v1",
    "preview": "https://preview.koios.rest/api/v1",
}
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 20.0
MAX_BLOCK_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can show
MAX_UINT = 2**63 - 1


class TransportError(EnvironmentFailure):
    """No HTTP response was obtained (connection refused, timeout, response over the size ceiling)."""


class ReaderError(EnvironmentFailure):
    """A provider could not give a usable answer; ``provider`` names it."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class TxUnknown(ReaderError):
    """The provider does not know the transaction (not authoritative: ask the other providers)."""


class ReaderUnavailable(ReaderError):
    """Transport failure, unexpected status or unparseable body: this provider is unusable for now."""


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response: status code and the full body bytes."""

    status: int
    content: bytes


class HttpClient(Protocol):
    """The small HTTP surface providers need. Raises :class:`TransportError` when no response arrives."""

    def request(
        self,
        method: str,
        url: str,
        *,
        purpose: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Send one request (never following redirects) and return the response."""
        ...


@dataclass(frozen=True)
class BlockFacts:
    """Facts of the block that includes a transaction, as one provider asserts them."""

    height: int
    hash: str
    slot: int | None
    block_time: int
    valid: bool | None = None  # the provider's is_valid claim (Blockfrost ``valid_contract``)


class ChainReader(Protocol):
    """Read-only provider interface: raw tx CBOR, block facts, tip height."""

    @property
    def name(self) -> str:
        """Short provider name for reports (``blockfrost``, ``koios``, ...)."""
        ...

    def fetch_tx_cbor(self, tx_hash: str) -> bytes:
        """The raw signed transaction CBOR as served; :class:`TxUnknown` if the provider lacks it."""
        ...

    def tx_block_facts(self, tx_hash: str) -> BlockFacts | None:
        """The including block's facts, or ``None`` when the provider has no block for the tx."""
        ...

    def tip_height(self) -> int:
        """The provider's current tip block height."""
        ...


def normalize_tx_hash(tx_hash: str) -> str:
    """Lower-case 64-hex transaction hash; ``ValueError`` for anything else."""
    text = tx_hash.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not a 64-hex transaction hash: {tx_hash!r}")
    return text


def _json_body(provider: str, response: HttpResponse) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ReaderUnavailable(provider, "response is not usable JSON") from exc


def _opt_int(obj: Any, *names: str, upper: int = MAX_UINT) -> int | None:
    if isinstance(obj, dict):
        for name in names:
            value = obj.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= upper:
                return value
    return None


def _req_int(provider: str, obj: Any, *names: str, upper: int = MAX_UINT) -> int:
    value = _opt_int(obj, *names, upper=upper)
    if value is None:
        raise ReaderUnavailable(
            provider, f"response lacks an integer {names[0]!r} between 0 and {upper}"
        )
    return value


def _opt_bool(obj: Any, name: str) -> bool | None:
    value = obj.get(name) if isinstance(obj, dict) else None
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Genesis:
    """What a provider's genesis endpoint says: network magic, chain start and slot length."""

    magic: int
    system_start: int | None = None
    slot_length: int | None = None


def _hex_cbor(provider: str, text: Any) -> bytes:
    if not isinstance(text, str):
        raise ReaderUnavailable(provider, "response lacks the 'cbor' hex string")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise ReaderUnavailable(provider, "'cbor' is not hex") from exc


class _BaseReader:
    """Shared request plumbing: status mapping, transport failures become ReaderUnavailable."""

    def __init__(self, base_url: str, *, client: HttpClient, name: str) -> None:
        self._base = base_url.rstrip("/")
        self._client = client
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def base_url(self) -> str:
        return self._base

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def _call(self, method: str, path: str, *, json_body: Any = None) -> HttpResponse | None:
        """Return the response for 200, ``None`` for 404, raise ReaderUnavailable otherwise."""
        headers = self._headers()
        try:
            response = self._client.request(
                method, self._base + path, purpose="cardano", headers=headers, json=json_body
            )
        except TransportError as exc:
            raise ReaderUnavailable(self._name, exc.message) from exc
        if response.status == 200:
            return response
        if response.status == 404:
            return None
        raise ReaderUnavailable(self._name, f"HTTP {response.status} for {method} {path}")


class BlockfrostReader(_BaseReader):
    """Blockfrost API (hosted or any compatible server, e.g. the local devnet).

    Raw CBOR from ``GET /txs/{h}/cbor``; block facts from ``GET /txs/{h}``; tip from
    ``GET /blocks/latest``. ``project_id`` goes in the ``project_id`` header and is
    never part of a URL or message.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client: HttpClient,
        project_id: str | None = None,
        name: str = "blockfrost",
    ) -> None:
        super().__init__(base_url, client=client, name=name)
        self._project_id = project_id

    @classmethod
    def for_network(
        cls, network: str, *, client: HttpClient, project_id: str | None
    ) -> BlockfrostReader:
        """The hosted endpoint for ``network`` (mainnet, preprod, preview)."""
        if network not in BLOCKFROST_DEFAULT_URLS:
            raise ValueError(f"no default Blockfrost endpoint for network {network!r}")
        return cls(BLOCKFROST_DEFAULT_URLS[network], client=client, project_id=project_id)

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._project_id:
            headers["project_id"] = self._project_id
        return headers

    def network_magic(self) -> int | None:
        """The network magic from ``GET /genesis``, or None when there is no clear answer.

        Unreachable, an error status or an odd body (a magic that is not a non-negative
        integer included) all give None: the calls that follow retry and report those properly.
        """
        genesis = self.genesis()
        return None if genesis is None else genesis.magic

    def genesis(self) -> Genesis | None:
        """``GET /genesis`` as a :class:`Genesis`, or None when there is no clear answer."""
        try:
            response = self._call("GET", "/genesis")
            body = None if response is None else _json_body(self._name, response)
        except ReaderUnavailable:
            return None
        magic = _opt_int(body, "network_magic")
        if magic is None:
            return None
        return Genesis(magic, _opt_int(body, "system_start"), _opt_int(body, "slot_length"))

    def fetch_tx_cbor(self, tx_hash: str) -> bytes:
        h = normalize_tx_hash(tx_hash)
        response = self._call("GET", f"/txs/{h}/cbor")
        if response is None:
            raise TxUnknown(self._name, f"transaction {h} not found")
        body = _json_body(self._name, response)
        return _hex_cbor(self._name, body.get("cbor") if isinstance(body, dict) else None)

    def tx_block_facts(self, tx_hash: str) -> BlockFacts | None:
        h = normalize_tx_hash(tx_hash)
        response = self._call("GET", f"/txs/{h}")
        if response is None:
            return None
        body = _json_body(self._name, response)
        block = body.get("block") if isinstance(body, dict) else None
        if not isinstance(block, str):
            raise ReaderUnavailable(self._name, "transaction response lacks 'block'")
        height = _req_int(self._name, body, "block_height")
        block_time = _req_int(self._name, body, "block_time", upper=MAX_BLOCK_TIME)
        slot = _opt_int(body, "slot")
        valid = _opt_bool(body, "valid_contract")
        return BlockFacts(
            height=height, hash=block.lower(), slot=slot, block_time=block_time, valid=valid
        )

    def tip_height(self) -> int:
        response = self._call("GET", "/blocks/latest")
        if response is None:
            raise ReaderUnavailable(self._name, "no latest block")
        return _req_int(self._name, _json_body(self._name, response), "height")


class KoiosReader(_BaseReader):
    """Koios API: raw CBOR and block facts from ``POST /tx_cbor``; tip from ``GET /tip``.

    An empty result list means the provider does not know the transaction. The answer
    of :meth:`fetch_tx_cbor` is kept for the *next* :meth:`tx_block_facts` call only, so
    one request serves a fetch and its facts, while repeated facts calls (confirmation
    polling) always ask the provider again.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client: HttpClient,
        api_token: str | None = None,
        name: str = "koios",
    ) -> None:
        super().__init__(base_url, client=client, name=name)
        self._token = api_token
        self._rows: dict[str, dict[str, Any]] = {}

    @classmethod
    def for_network(
        cls, network: str, *, client: HttpClient, api_token: str | None = None
    ) -> KoiosReader:
        """The public endpoint for ``network`` (mainnet, preprod, preview)."""
        if network not in KOIOS_DEFAULT_URLS:
            raise ValueError(f"no default Koios endpoint for network {network!r}")
        return cls(KOIOS_DEFAULT_URLS[network], client=client, api_token=api_token)

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _row(self, h: str) -> dict[str, Any] | None:
        response = self._call("POST", "/tx_cbor", json_body={"_tx_hashes": [h]})
        if response is None:
            return None
        rows = _json_body(self._name, response)
        if not isinstance(rows, list):
            raise ReaderUnavailable(self._name, "tx_cbor response is not a list")
        for row in rows:
            if isinstance(row, dict) and str(row.get("tx_hash", "")).lower() == h:
                return row
        return None

    def fetch_tx_cbor(self, tx_hash: str) -> bytes:
        h = normalize_tx_hash(tx_hash)
        row = self._row(h)
        if row is None:
            raise TxUnknown(self._name, f"transaction {h} not found")
        self._rows[h] = row
        return _hex_cbor(self._name, row.get("cbor"))

    def tx_block_facts(self, tx_hash: str) -> BlockFacts | None:
        h = normalize_tx_hash(tx_hash)
        row = self._rows.pop(h, None) or self._row(h)
        if row is None or row.get("block_height") is None:
            return None
        block = row.get("block_hash")
        if not isinstance(block, str):
            raise ReaderUnavailable(self._name, "tx_cbor row lacks 'block_hash'")
        height = _req_int(self._name, row, "block_height")
        block_time = _req_int(self._name, row, "tx_timestamp", "block_time", upper=MAX_BLOCK_TIME)
        slot = _opt_int(row, "absolute_slot")
        return BlockFacts(
            height=height,
            hash=block.lower(),
            slot=slot,
            block_time=block_time,
            valid=_row_is_valid(row),
        )

    def genesis(self) -> Genesis | None:
        """``GET /genesis`` (Koios answers a one-row list of strings), or None when unclear."""
        try:
            response = self._call("GET", "/genesis")
            rows = None if response is None else _json_body(self._name, response)
        except ReaderUnavailable:
            return None
        row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
        if row is None:
            return None
        values = {k: _koios_int(row.get(k)) for k in ("networkmagic", "systemstart", "slotlength")}
        if values["networkmagic"] is None:
            return None
        return Genesis(values["networkmagic"], values["systemstart"], values["slotlength"])

    def tip_height(self) -> int:
        response = self._call("GET", "/tip")
        if response is None:
            raise ReaderUnavailable(self._name, "no tip")
        rows = _json_body(self._name, response)
        row = rows[0] if isinstance(rows, list) and rows else None
        return _req_int(self._name, row, "block_height", "block_no")


def _koios_int(value: Any) -> int | None:
    """Koios genesis values are decimal strings (sometimes numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_UINT else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 19:
        number = int(value)
        return number if number <= MAX_UINT else None
    return None


def _row_is_valid(row: dict[str, Any]) -> bool | None:
    """The is_valid flag of the transaction CBOR a Koios row carries (None when unreadable)."""
    from anchor.label309.txbind import TxBindError, split_tx

    text = row.get("cbor")
    if not isinstance(text, str):
        return None
    try:
        return split_tx(bytes.fromhex(text)).is_valid
    except (ValueError, TxBindError, RecursionError, MemoryError):
        return None


class HttpxClient:
    """A plain :class:`HttpClient` over httpx (imported on first use): no redirects, bounded bodies.

    ``timeout`` is the total time one request may take (connect, send, headers and
    body together; not per read). ``deadline`` (a ``time.monotonic()`` value) ends every
    request, and refuses new ones, once passed: the whole run's deadline. ``purpose`` is
    accepted for interface compatibility and ignored; the verifier's egress wrapper is
    what records it.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float | None = None,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._client: Any = None
        self._transport: Any = None

    def request(
        self,
        method: str,
        url: str,
        *,
        purpose: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        import time

        import httpx

        from anchor.chain.deadline_http import DeadlineTransport

        ends = time.monotonic() + self._timeout
        if self._deadline is not None:
            if time.monotonic() >= self._deadline:
                raise TransportError(f"run deadline passed before {method} {url}")
            ends = min(ends, self._deadline)
        if self._client is None:
            self._transport = DeadlineTransport()
            self._client = httpx.Client(
                follow_redirects=False, timeout=self._timeout, transport=self._transport
            )
        self._transport.deadline = ends
        try:
            with self._client.stream(
                method, url, headers=headers, json=json, content=content
            ) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise TransportError(f"response from {url} exceeds {self._max_bytes} bytes")
                    chunks.append(chunk)
                return HttpResponse(status=response.status_code, content=b"".join(chunks))
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
            # InvalidURL, StreamError and the idna codec's UnicodeError (a ValueError) are
            # not HTTPError subclasses; none of them may escape as an unexpected crash.
            if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= ends:
                raise TransportError(f"deadline exceeded for {method} {url}") from exc
            raise TransportError(f"{type(exc).__name__} for {method} {url}") from exc

    def close(self) -> None:
        """Close the underlying connection pool, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None
