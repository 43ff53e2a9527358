"""`anchor spool serve`: add items over HTTP, the source taken only from a verified OIDC token.

Routes (JSON in, JSON out; every request needs ``Authorization: Bearer <OIDC token>``):

* ``POST /v1/spools/{spool}/items`` — body ``{"name", "sha256"[, "size"]}`` answers the
  object ``spool add --json`` prints (``item_id``, ``window``, ``state``, ``duplicate``);
  ``{"items": [...]}`` (up to :data:`MAX_ITEMS`) adds all or none and answers
  ``{"items": [...]}``. 201 when something was added, 200 when every item was a duplicate;
* ``GET /v1/items/{item_id}`` — where the item stands (``spool proof --json`` without the
  local proof path): state, window, leaf index and, once anchored, tx hash, block, depth.

The item's source is derived from the token's claims alone
(:func:`~anchor.publish.spool.auth.source_from_claims`,
the same ``host/org/repo/run/ID`` form `spool add` reads from the CI environment); a body
that tries to name one is refused. The token checks are those of `anchor attest`
(:func:`anchor.attest.token.check_bearer_token`: ES256/RS256 only, the issuer's JWKS from
OIDC discovery, ``iss``, ``aud`` = ``--audience``, ``exp``/``nbf`` with 60 s leeway).

Errors are ``{"error": CODE, "message": LINE}`` and never contain the token: 400 bad
body, 401 missing or failing token (the code names the check, e.g. ``token-expired``),
403 a valid token whose claims name no GitHub/GitLab repository and run, or a
repository that matches no ``--allow`` glob, 404 unknown
spool, item or route, 409 (source, name) already in the open window with another
digest, 413 body over :data:`MAX_BODY`, 503 database or issuer unreachable.

The server is the stdlib ``ThreadingHTTPServer`` (as the devnet's): one thread and one
store connection per request, at most :data:`MAX_CONCURRENT` at once, a socket timeout
per connection, bounded bodies.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from anchor.attest import strictjson
from anchor.attest.codes import CheckFailed, TrustRootUnavailable
from anchor.errors import AnchorError, EnvironmentFailure, InputError
from anchor.publish.spool import machine
from anchor.publish.spool.auth import (
    HttpError,
    Verifier,
    bearer,
    check_allowed,
    identity_from_claims,
)
from anchor.publish.spool.store import ItemConflict, NewItem, Store, UnknownSpool

MAX_BODY = 1 << 20
MAX_ITEMS = 2000
REQUEST_TIMEOUT_S = 30.0
#: Requests served at once (each holds a thread and a store connection).
MAX_CONCURRENT = 32
_ITEMS_PATH = re.compile(r"^/v1/spools/([^/]+)/items$")
_ITEM_PATH = re.compile(r"^/v1/items/([0-9a-fA-F]{32})$")
_ITEM_KEYS = frozenset({"name", "sha256", "size"})


def parse_items(body: bytes) -> tuple[list[tuple[str, bytes, int | None]], bool]:
    """The body's items as (name, digest, size) and whether it was the batch form (400 if bad)."""
    try:
        doc = strictjson.loads(body)
    except strictjson.StrictJSONError as exc:
        raise HttpError(400, "bad-body", f"the body is not strict JSON: {exc}") from None
    batch = isinstance(doc, dict) and set(doc) == {"items"}
    entries = doc["items"] if batch else [doc]
    if not isinstance(entries, list) or not entries or len(entries) > MAX_ITEMS:
        raise HttpError(400, "bad-body", f"'items' must be a list of 1..{MAX_ITEMS} objects")
    out = []
    for at, entry in enumerate(entries):
        where = f"items[{at}]" if batch else "the body"
        if not isinstance(entry, dict):
            raise HttpError(400, "bad-body", f"{where}: expected an object")
        extra = sorted(set(entry) - _ITEM_KEYS)
        if extra:
            raise HttpError(
                400,
                "bad-body",
                f"{where}: unknown field {extra[0]!r} (the source comes from the token)",
            )
        name, digest, size = entry.get("name"), entry.get("sha256"), entry.get("size")
        if not isinstance(name, str) or not isinstance(digest, str):
            raise HttpError(400, "bad-body", f"{where}: expected string 'name' and 'sha256'")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise HttpError(400, "bad-body", f"{where}: name is not valid Unicode") from None
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise HttpError(400, "bad-body", f"{where}: 'size' must be a non-negative integer")
        try:
            out.append(
                (
                    machine.check_name(name, what=f"{where}: name"),
                    machine.check_digest(digest, what=f"{where}: sha256"),
                    size,
                )
            )
        except InputError as exc:
            raise HttpError(400, "bad-body", exc.message) from None
    return out, batch


@dataclass
class Service:
    """What the handler needs: the verifier, a store factory and an optional access log."""

    verifier: Verifier
    open_store: Callable[[], Store]
    allow: tuple[str, ...]
    log: Callable[[str], None] | None = None

    def _store_call(self, fn: Callable[[Store], Any]) -> Any:
        try:
            store = self.open_store()
        except EnvironmentFailure as exc:
            raise HttpError(503, "store-unavailable", exc.diagnostics()) from None
        try:
            return fn(store)
        except UnknownSpool as exc:
            raise HttpError(404, "unknown-spool", exc.diagnostics()) from None
        except ItemConflict as exc:
            raise HttpError(409, "conflict", exc.diagnostics()) from None
        except EnvironmentFailure as exc:
            raise HttpError(503, "store-unavailable", exc.diagnostics()) from None
        except AnchorError as exc:
            raise HttpError(400, "bad-request", exc.diagnostics()) from None
        finally:
            store.close()

    def authenticate(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of the ``Authorization`` header's token (401 naming the failed check)."""
        token = bearer(authorization)
        try:
            return self.verifier.verify(token)
        except CheckFailed as exc:
            raise HttpError(401, exc.code, exc.detail) from None

    def add(self, spool: str, authorization: str | None, body: bytes) -> tuple[int, Any, str]:
        """``POST /v1/spools/{spool}/items``: (status, answer, source)."""
        from anchor.publish.spool.api import added_json

        repository, source = identity_from_claims(self.authenticate(authorization))
        check_allowed(repository, self.allow)
        parsed, batch = parse_items(body)
        news = [NewItem(source, n, d, s) for n, d, s in parsed]

        def run(store: Store) -> list[dict[str, Any]]:
            return added_json(store.add(store.spool(spool), news))

        rows = self._store_call(run)
        status = 200 if all(r["duplicate"] for r in rows) else 201
        return status, ({"items": rows} if batch else rows[0]), source

    def item(self, item_id: str, authorization: str | None) -> dict[str, Any]:
        """``GET /v1/items/{id}``: the item's state and, once anchored, its block."""
        from anchor.publish.spool.api import ProofInfo

        repository, _source = identity_from_claims(self.authenticate(authorization))
        check_allowed(repository, self.allow)

        def run(store: Store) -> dict[str, Any]:
            found = store.find_item(item_id)
            if found is None:
                raise HttpError(404, "unknown-item", f"no item {item_id}")
            sp, item = found
            window = next(w for w in store.windows(sp) if w.id == item.window_id)
            doc = ProofInfo(item, window, store.leaf_index(item), None).to_json()
            del doc["proof"]
            return {"spool": sp.name, **doc, "root": window.root}

        result: dict[str, Any] = self._store_call(run)
        return result


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start the request's thread once one of :data:`MAX_CONCURRENT` slots is free.

        The accept loop waits meanwhile, so a flood of connections queues in the kernel's
        backlog instead of becoming a flood of threads and database connections.
        """
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "anchor-spool"
    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:
        """The stdlib's log is off; :meth:`_done` writes one line per request."""

    def _send(self, status: int, doc: Any, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, err: HttpError) -> None:
        extra = {}
        if err.status == 401:
            extra["WWW-Authenticate"] = (
                f'Bearer error="invalid_token", error_description="{err.code}"'
            )
        self._send(err.status, {"error": err.code, "message": err.message}, extra)
        self._done(err.status, err.code)

    def _done(self, status: int, what: str) -> None:
        log = self.server.service.log
        if log is not None:
            log(f"{self.command} {urlsplit(self.path).path} {status} {what}")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HttpError(411, "length-required", "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise HttpError(400, "bad-body", "bad Content-Length")
        if length > MAX_BODY:
            self.close_connection = True
            raise HttpError(413, "too-large", f"the body is over {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _unexpected(self, exc: Exception) -> None:
        """A bug: one line in the log, a 500 to the client, never a traceback or the token."""
        log = self.server.service.log
        if log is not None:
            log(f"internal error: {type(exc).__name__} (a bug in anchor; please report it)")
        self._error(HttpError(500, "internal", "internal error"))

    def do_POST(self) -> None:
        try:
            body = self._body()
            match = _ITEMS_PATH.match(urlsplit(self.path).path)
            if match is None:
                raise HttpError(404, "not-found", "no such route (POST /v1/spools/SPOOL/items)")
            status, doc, source = self.server.service.add(
                unquote(match.group(1)), self.headers.get("Authorization"), body
            )
        except HttpError as err:
            self._error(err)
            return
        except Exception as exc:  # a bug: the answer must still be JSON
            self._unexpected(exc)
            return
        self._send(status, doc)
        self._done(status, f"source={source}")

    def do_GET(self) -> None:
        try:
            self._body()
            match = _ITEM_PATH.match(urlsplit(self.path).path)
            if match is None:
                raise HttpError(404, "not-found", "no such route (GET /v1/items/ITEM_ID)")
            doc = self.server.service.item(
                match.group(1).lower(), self.headers.get("Authorization")
            )
        except HttpError as err:
            self._error(err)
            return
        except Exception as exc:  # a bug: the answer must still be JSON
            self._unexpected(exc)
            return
        self._send(200, doc)
        self._done(200, doc["state"])


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; port 0 = any free one); exit 4 when malformed."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8095")
    return host, int(port)


class RunningService:
    """A served :class:`Service` on a background thread; stop it (or use ``with``) when done."""

    def __init__(
        self, service: Service, address: tuple[str, int], *, keeper: Store | None = None
    ) -> None:
        # ``keeper``: a store connection held open while serving. A SQLite request's
        # connection is then never the last one to close, which would checkpoint the
        # WAL and remove it each time (about 5 ms a request).
        self._keeper = keeper
        try:
            self._server = _Server(address, service)
        except OSError as exc:
            raise EnvironmentFailure(
                f"cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}"
            ) from None
        host, port = str(self._server.server_address[0]), int(self._server.server_address[1])
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Shut down and join the server thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def __enter__(self) -> RunningService:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_service(
    *,
    issuer: str,
    audience: str,
    allow: Sequence[str],
    db: str | None,
    listen: str = "127.0.0.1:0",
    log: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> RunningService:
    """Discover ``issuer``'s keys (exit 5 if unreachable), check the store, serve on ``listen``."""
    from anchor.attest import trustroot
    from anchor.attest.codes import AttestInputError
    from anchor.chain.readers import HttpxClient
    from anchor.publish.spool.api import open_store

    if not audience:
        raise InputError("--audience must not be empty")
    if not allow or not all(allow):
        raise InputError(
            "name the repositories to take items from: --allow 'github.com/ORG/*' "
            "(--allow '*' takes every repository the issuer vouches for)"
        )
    address = parse_listen(listen)
    try:
        root = trustroot.fetch(issuer, HttpxClient(timeout=30.0))
    except TrustRootUnavailable as exc:
        raise EnvironmentFailure(f"--oidc-issuer: {exc}") from None
    except AttestInputError as exc:
        raise InputError(f"--oidc-issuer: {exc.message}") from None
    keeper = open_store(db)
    try:
        keeper.check_schema()
        verifier = Verifier(root, audience, clock=clock)
        service = Service(verifier, lambda: open_store(db), tuple(allow), log)
        return RunningService(service, address, keeper=keeper)
    except BaseException:
        keeper.close()
        raise
