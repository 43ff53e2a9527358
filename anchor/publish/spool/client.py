"""`anchor spool add --server URL`: send items to `anchor spool serve` with the job's OIDC token.

The token comes from where `anchor attest` finds it (:func:`anchor.attest.ci.find_token`:
``--token-file``, GitHub's token endpoint asked for ``audience``, ``ANCHOR_ID_TOKEN``).
The audience is the client's choice, never the server's: it defaults to the server URL,
so a token minted for one service is not accepted by another. The token is sent only
over https (plain http only to a loopback host) and appears in no message.

Items are validated locally first, then sent in batches of up to
:data:`~anchor.publish.spool.service.MAX_ITEMS`; each batch is all or none and a rerun
is idempotent (already added items come back as duplicates). Answers map to the exit
codes of a local add: 400/404/409/413 are bad input (4); 401/403 (the token), 5xx,
anything unexpected and no answer at all are 5.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from anchor.attest import strictjson
from anchor.chain.readers import HttpClient, TransportError
from anchor.errors import EnvironmentFailure, InputError
from anchor.publish.spool.store import NewItem

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_INPUT_STATUSES = frozenset({400, 404, 409, 413})


class ServerRefused(EnvironmentFailure):
    """The spool server refused the token or failed (exit 5)."""


def check_server_url(url: str) -> str:
    """``https://HOST[:PORT][/prefix]``, or ``http://`` on a loopback host; exit 4 otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise InputError(f"--server {url!r} is not a URL") from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"--server {url!r}: no query, fragment or credentials in the URL")
    if not host or not (parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK)):
        raise InputError(
            f"--server {url!r}: https only (plain http only on a loopback host; "
            "the job's token travels with every request)"
        )
    return url.rstrip("/")


def _message(content: bytes) -> tuple[str, str]:
    try:
        doc = strictjson.loads(content)
    except strictjson.StrictJSONError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("message"), str):
        return str(doc.get("error", "")), " ".join(doc["message"].split())[:300]
    return "", "no error message"


def _rows(server: str, content: bytes, count: int) -> list[dict[str, Any]]:
    """The answer's ``items``, each checked and in `spool add --json`'s key order."""
    try:
        got = strictjson.loads(content)["items"]
        if not isinstance(got, list) or len(got) != count:
            raise TypeError
        rows = []
        for row in got:
            iid, window, state, dup = (row[k] for k in ("item_id", "window", "state", "duplicate"))
            if not (isinstance(iid, str) and isinstance(window, int) and isinstance(state, str)):
                raise TypeError
            if not isinstance(dup, bool):
                raise TypeError
            rows.append({"item_id": iid, "window": window, "state": state, "duplicate": dup})
    except (strictjson.StrictJSONError, KeyError, TypeError):
        raise ServerRefused(f"spool server {server}: the answer is not an items list") from None
    return rows


def batches(
    items: Sequence[NewItem], *, count: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The request bodies' item lists: at most ``count`` (:data:`MAX_ITEMS`) items and half
    the server's body limit each, so every request fits whatever the names' lengths."""
    from anchor.publish.spool.service import MAX_BODY, MAX_ITEMS

    limit, budget = count or MAX_ITEMS, MAX_BODY // 2
    chunk: list[dict[str, Any]] = []
    used = 0
    for n in items:
        entry: dict[str, Any] = {"name": n.name, "sha256": n.digest.hex()}
        if n.size is not None:
            entry["size"] = n.size
        cost = len(json.dumps(entry).encode()) + 2
        if chunk and (len(chunk) >= limit or used + cost > budget):
            yield chunk
            chunk, used = [], 0
        chunk.append(entry)
        used += cost
    if chunk:
        yield chunk


def add_items(
    server: str,
    spool: str,
    items: Sequence[NewItem],
    *,
    token: str,
    client: HttpClient,
    batch: int | None = None,
) -> list[dict[str, Any]]:
    """POST ``items`` (their source is ignored: the server takes it from the token)."""
    url = f"{server}/v1/spools/{quote(spool, safe='')}/items"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    rows: list[dict[str, Any]] = []
    for chunk in batches(items, count=batch):
        try:
            response = client.request(
                "POST", url, purpose="spool", headers=headers, json={"items": chunk}
            )
        except TransportError as exc:
            raise ServerRefused(f"spool server {server}: {exc.message}") from None
        if response.status in (200, 201):
            rows.extend(_rows(server, response.content, len(chunk)))
            continue
        code, message = _message(response.content)
        done = f" ({len(rows)} item(s) before this batch were added)" if rows else ""
        what = f"{code}: {message}" if code else message
        line = f"spool server answered HTTP {response.status}: {what}{done}"
        if response.status in _INPUT_STATUSES:
            raise InputError(line)
        raise ServerRefused(line)
    return rows
