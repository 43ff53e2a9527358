"""BlockfrostReader.network_magic: the magic from /genesis, None whenever there is no clear answer."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.chain.readers import BlockfrostReader, HttpResponse, TransportError

URL = "http://127.0.0.1:9/api/v0"


class Scripted:
    """An HttpClient answering every request with one response (or one transport failure)."""

    def __init__(self, answer: HttpResponse | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def request(self, method: str, url: str, *, purpose: str, **_: Any) -> HttpResponse:
        self.asked.append((method, url))
        if self.answer is None:
            raise TransportError(f"ConnectionError for {method} {url}")
        return self.answer


@pytest.mark.parametrize(
    ("answer", "magic"),
    [
        (HttpResponse(200, b'{"network_magic": 42, "epoch_length": 432000}'), 42),
        (HttpResponse(200, b'{"network_magic": 764824073}'), 764824073),
        (HttpResponse(200, b'{"network_magic": 0}'), 0),
        (HttpResponse(200, b'{"network_magic": -1}'), None),
        (HttpResponse(200, b'{"network_magic": true}'), None),
        (HttpResponse(200, b'{"network_magic": "42"}'), None),
        (HttpResponse(200, b'{"network_magic": 42.0}'), None),
        (HttpResponse(200, b'{"network": 42}'), None),
        (HttpResponse(200, b"[42]"), None),
        (HttpResponse(200, b"42"), None),
        (HttpResponse(200, b"not json"), None),
        (HttpResponse(200, b"\xff\xfe"), None),
        (HttpResponse(404, b'{"network_magic": 42}'), None),
        (HttpResponse(500, b'{"network_magic": 42}'), None),
        (HttpResponse(302, b""), None),
        (None, None),
    ],
)
def test_network_magic(answer: HttpResponse | None, magic: int | None) -> None:
    client = Scripted(answer)
    assert BlockfrostReader(URL, client=client).network_magic() == magic
    assert client.asked == [("GET", f"{URL}/genesis")]
