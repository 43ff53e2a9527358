"""The Blockfrost provider: :class:`~anchor.chain.providers.ChainProvider` over blockfrost-python.

``BlockfrostProvider.for_network`` picks the API root: ``--provider-url`` when given
(the full root including ``/api/v0``: a self-hosted Blockfrost, or the local devnet),
else the network's public endpoint. The project id comes from ``BLOCKFROST_PROJECT_ID``;
it is required for the public endpoints and optional for any other URL. It is sent
only as a request header and never appears in messages.

blockfrost-python calls ``requests`` without a timeout, so every call runs under a
deadline (``call_timeout``) on a daemon thread; an overrun counts as a transient
failure. Transient failures (429, 425, 5xx, connection errors, timeouts) are retried
by :func:`~anchor.chain.providers.with_retries`; a 400 on submit is the ledger's
rejection and is raised at once as :class:`~anchor.chain.providers.ProviderRejected`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from anchor.chain.network import Network
from anchor.chain.providers import (
    ProtocolParams,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    RetryPolicy,
    SubmitOutcomeUnknown,
    Tip,
    Transient,
    Utxo,
    with_retries,
)
from anchor.errors import InputError

T = TypeVar("T")

PROJECT_ID_ENV = "BLOCKFROST_PROJECT_ID"
NAME = "blockfrost"
_REFUSALS = {
    402: "usage quota exceeded",
    403: "access denied (check BLOCKFROST_PROJECT_ID for this network)",
    418: "client banned by the provider",
}


def redact_url(url: str) -> str:
    """``url`` without user info (``user:pass@``), query or fragment: safe for receipts and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def version_path_hint(url: str) -> str | None:
    """What to say when an endpoint every Blockfrost API serves answers HTTP 404 at ``url``.

    Usually the version path is missing (``http://127.0.0.1:8090`` for
    ``http://127.0.0.1:8090/api/v0``); None when ``url`` already ends in one (``/v0``).
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if re.search(r"/v[0-9]+$", path):
        return None
    root = redact_url(url)
    suggestion = f"{root}/v0" if path.endswith("/api") else f"{root}/api/v0"
    return (
        "--provider-url is the API root including its version path, "
        f"e.g. {suggestion}; {root} does not serve the Blockfrost API"
    )


def _is_public_blockfrost(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(".blockfrost.io")


def _bounded(call: Callable[[], T], seconds: float) -> T:
    """Run ``call`` on a daemon thread; :class:`Transient` if it has not returned in ``seconds``."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="anchor-blockfrost-call").start()
    if not done.wait(seconds):
        raise Transient(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _status_and_text(exc: Exception) -> tuple[int | None, str]:
    """Status code and a readable message of a blockfrost ``ApiError``."""
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None)
    if message is None and exc.args:
        response = exc.args[0]
        text = getattr(response, "text", None)
        message = text if isinstance(text, str) and text else str(response)
    text = " ".join(str(message if message is not None else exc).split())
    return (status if isinstance(status, int) else None), text[:2000]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what}: not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{what}: not an integer: {value!r}")


class BlockfrostProvider:
    """A Blockfrost API endpoint (hosted, self-hosted or the devnet) as a chain provider."""

    def __init__(
        self,
        url: str,
        *,
        project_id: str | None = None,
        retry: RetryPolicy | None = None,
        call_timeout: float = 30.0,
    ) -> None:
        from blockfrost import BlockFrostApi

        self._url = url.rstrip("/")
        self._api = BlockFrostApi(project_id=project_id or "", base_url=self._url)
        # blockfrost-python appends its own "/v0" unless the version is empty; our URL
        # is already the full API root.
        self._api.api_version = ""
        self._api.project_id = project_id or None
        self._retry = retry or RetryPolicy()
        self._call_timeout = call_timeout

    @classmethod
    def for_network(
        cls,
        network: Network,
        *,
        provider_url: str | None = None,
        project_id: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> BlockfrostProvider:
        """The provider for ``network``: ``provider_url`` if given, else its public endpoint.

        ``project_id`` defaults to ``$BLOCKFROST_PROJECT_ID``; a public endpoint without
        one is an :class:`InputError`.
        """
        url = provider_url or network.blockfrost_url
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--provider-url must be an http(s) URL, got {redact_url(url)!r}")
        pid = project_id if project_id is not None else os.environ.get(PROJECT_ID_ENV)
        if _is_public_blockfrost(url) and not pid:
            raise InputError(
                f"{PROJECT_ID_ENV} is not set; it is required for the Blockfrost endpoint "
                f"of {network.name}",
                hint="or pass --provider-url for a self-hosted or local Blockfrost API",
            )
        return cls(url, project_id=pid or None, retry=retry)

    @property
    def name(self) -> str:
        """``blockfrost``."""
        return NAME

    @property
    def url(self) -> str:
        """The API root, credentials removed."""
        return redact_url(self._url)

    # -- plumbing -------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T], *, missing_ok: bool = False) -> T | None:
        """One API call with deadline, classification and retries; 404 gives None if allowed."""
        import requests
        from blockfrost import ApiError

        def attempt() -> T | None:
            try:
                return _bounded(call, self._call_timeout)
            except ApiError as exc:
                status, text = _status_and_text(exc)
                if status == 404 and missing_ok:
                    return None
                if status in (425, 429) or (status is not None and status >= 500):
                    raise Transient(f"HTTP {status}: {text}") from exc
                if status in _REFUSALS:
                    raise ProviderRefused(
                        NAME, f"{what}: HTTP {status}: {_REFUSALS[status]}"
                    ) from exc
                hint = version_path_hint(self._url) if status == 404 else None
                raise ProviderUnavailable(
                    NAME, f"{what}: HTTP {status}: {text}", hint=hint
                ) from exc
            except requests.exceptions.RequestException as exc:
                raise Transient(f"{type(exc).__name__} ({self.url})") from exc
            except ValueError as exc:  # a body that is not JSON
                raise ProviderUnavailable(NAME, f"{what}: unreadable answer: {exc}") from exc

        return with_retries(attempt, provider=NAME, what=what, policy=self._retry)

    def _need(self, what: str, call: Callable[[], T]) -> T:
        value = self._call(what, call)
        if value is None:
            raise ProviderUnavailable(NAME, f"{what}: not found")
        return value

    # -- the ChainProvider interface -----------------------------------------------

    def protocol_params(self) -> ProtocolParams:
        """``GET /epochs/latest/parameters`` as :class:`ProtocolParams`."""
        what = "protocol parameters"
        raw = self._need(what, lambda: self._api.epoch_latest_parameters(return_type="json"))
        try:
            per_byte = raw.get("coins_per_utxo_size") or raw.get("coins_per_utxo_word")
            return ProtocolParams(
                min_fee_a=_int(raw["min_fee_a"], "min_fee_a"),
                min_fee_b=_int(raw["min_fee_b"], "min_fee_b"),
                max_tx_size=_int(raw["max_tx_size"], "max_tx_size"),
                coins_per_utxo_byte=_int(per_byte, "coins_per_utxo_size"),
                max_value_size=_int(raw.get("max_val_size") or 5000, "max_val_size"),
                key_deposit=_int(raw.get("key_deposit") or 0, "key_deposit"),
                pool_deposit=_int(raw.get("pool_deposit") or 0, "pool_deposit"),
                protocol_major=_int(raw.get("protocol_major_ver") or 0, "protocol_major_ver"),
                protocol_minor=_int(raw.get("protocol_minor_ver") or 0, "protocol_minor_ver"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderUnavailable(NAME, f"{what}: unexpected answer: {exc}") from exc

    def utxos(self, address: str) -> list[Utxo]:
        """``GET /addresses/{address}/utxos`` (all pages); an unknown address has none."""
        what = "address UTxOs"
        raw = self._call(
            what,
            lambda: self._api.address_utxos(address, return_type="json", gather_pages=True),
            missing_ok=True,
        )
        if raw is None:
            return []
        try:
            out = []
            for entry in raw:
                lovelace = 0
                assets: list[tuple[str, int]] = []
                for amount in entry["amount"]:
                    quantity = _int(amount["quantity"], "quantity")
                    if amount["unit"] == "lovelace":
                        lovelace += quantity
                    else:
                        assets.append((str(amount["unit"]), quantity))
                out.append(
                    Utxo(
                        tx_hash=str(entry["tx_hash"]).lower(),
                        index=_int(entry.get("output_index", entry.get("tx_index")), "index"),
                        address=str(entry.get("address") or address),
                        lovelace=lovelace,
                        assets=tuple(sorted(assets)),
                        has_datum=bool(entry.get("data_hash") or entry.get("inline_datum")),
                        has_script_ref=bool(entry.get("reference_script_hash")),
                    )
                )
            return out
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderUnavailable(NAME, f"{what}: unexpected answer: {exc}") from exc

    def submit(self, tx_bytes: bytes) -> str:
        """``POST /tx/submit``; a 400 is the ledger's rejection (:class:`ProviderRejected`)."""
        from blockfrost import ApiError

        attempts = 0

        def call() -> Any:
            nonlocal attempts
            attempts += 1
            try:
                return self._api.transaction_submit_cbor(tx_bytes, return_type="json")
            except ApiError as exc:
                status, text = _status_and_text(exc)
                if status == 400:
                    if attempts > 1:
                        # An earlier attempt may have reached the node: its own spend of
                        # the inputs would make this retry fail. Never call that rejected.
                        raise SubmitOutcomeUnknown(NAME, text) from exc
                    raise ProviderRejected(NAME, text, status=status) from exc
                raise

        raw = self._need("transaction submission", call)
        if not isinstance(raw, str) or len(raw) != 64:
            raise ProviderUnavailable(NAME, f"transaction submission: unexpected answer {raw!r}")
        return raw.lower()

    def tip(self) -> Tip:
        """``GET /blocks/latest``."""
        what = "chain tip"
        raw = self._need(what, lambda: self._api.block_latest(return_type="json"))
        try:
            return Tip(
                height=_int(raw["height"], "height"),
                slot=_int(raw["slot"], "slot"),
                block_hash=str(raw["hash"]).lower(),
                time=_int(raw["time"], "time"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderUnavailable(NAME, f"{what}: unexpected answer: {exc}") from exc
