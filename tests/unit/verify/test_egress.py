"""The single egress point: every attempt recorded, deny-list and purpose enforced before connecting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from anchor.chain.readers import HttpResponse, HttpxClient, TransportError
from anchor.verify.egress import Egress, EgressRefused, host_is_denied, normalize_host


class Scripted:
    """Inner client answering from a list; records what reached it."""

    def __init__(self, *answers: HttpResponse | Exception) -> None:
        self.answers = list(answers)
        self.reached: list[str] = []

    def request(self, method, url, *, purpose, headers=None, json=None, content=None):  # type: ignore[no-untyped-def]
        self.reached.append(url)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _clock() -> Iterator[float]:
    t = 0.0
    while True:
        yield t
        t += 0.25


def test_records_success_error_status_and_transport_failure() -> None:
    inner = Scripted(
        HttpResponse(200, b"abcd"),
        HttpResponse(500, b"no"),
        TransportError("ConnectError for GET http://b.test/x"),
    )
    ticks = _clock()
    egress = Egress(inner=inner, clock=lambda: next(ticks))
    assert egress.request("get", "http://a.test/x?key=1", purpose="cardano").status == 200
    assert egress.request("GET", "http://a.test/y", purpose="cardano").status == 500
    with pytest.raises(TransportError):
        egress.request("GET", "http://b.test/x", purpose="cardano")
    trail = egress.audit_trail()
    assert trail[0] == {
        "url": "http://a.test/x",
        "method": "GET",
        "status": 200,
        "bytes": 4,
        "durationMs": 250.0,
        "purpose": "cardano",
    }
    assert trail[1]["status"] == 500 and trail[1]["bytes"] == 2
    assert trail[2]["status"].startswith("error: ") and trail[2]["bytes"] == 0
    assert len(trail) == 3


def test_denied_host_is_refused_before_connecting_and_recorded() -> None:
    inner = Scripted(HttpResponse(200, b""))
    egress = Egress(inner=inner, deny_hosts=["https://Koios.REST/", "blockfrost.io"])
    for url in ("https://api.koios.rest/api/v1/tip", "https://cardano-mainnet.blockfrost.io/x"):
        with pytest.raises(EgressRefused) as info:
            egress.request("GET", url, purpose="cardano")
        assert info.value.code == "SERVICE_INDEPENDENCE_VIOLATION"
    assert inner.reached == []
    assert [e["status"] for e in egress.audit_trail()] == ["denied", "denied"]
    assert egress.deny_hosts == ("blockfrost.io", "koios.rest")


def test_purpose_outside_the_closed_set_is_forbidden() -> None:
    egress = Egress(inner=Scripted())
    with pytest.raises(EgressRefused) as info:
        egress.request("GET", "http://a.test/", purpose="telemetry")
    assert info.value.code == "URI_TARGET_FORBIDDEN"
    with pytest.raises(EgressRefused):
        egress.request("GET", "file:///etc/passwd", purpose="cardano")
    assert [e["status"] for e in egress.audit_trail()] == ["forbidden", "forbidden"]


def test_host_matching_is_exact_or_subdomain_only() -> None:
    deny = [normalize_host("example.com")]
    assert host_is_denied("example.com", deny)
    assert host_is_denied("API.Example.com.", deny)
    assert not host_is_denied("notexample.com", deny)
    assert not host_is_denied("example.com.evil", deny)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/target")
            self.end_headers()
            return
        body = b"x" * (5000 if self.path == "/big" else 10)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_real_client_never_follows_redirects_and_bounds_bodies(loopback: str) -> None:
    client = HttpxClient(timeout=5.0, max_bytes=1000)
    egress = Egress(inner=client)
    try:
        assert egress.request("GET", f"{loopback}/redirect", purpose="cardano").status == 302
        assert egress.request("GET", f"{loopback}/ok", purpose="cardano").content == b"x" * 10
        with pytest.raises(TransportError):
            egress.request("GET", f"{loopback}/big", purpose="cardano")
    finally:
        client.close()
    assert [e["status"] for e in egress.audit_trail()][:2] == [302, 200]
    assert egress.audit_trail()[2]["status"].startswith("error")
    assert [e["url"] for e in egress.audit_trail()] == [
        f"{loopback}/redirect",
        f"{loopback}/ok",
        f"{loopback}/big",
    ]


def test_unreachable_port_is_a_transport_error() -> None:
    client = HttpxClient(timeout=2.0)
    try:
        with pytest.raises(TransportError):
            client.request("GET", "http://127.0.0.1:9/", purpose="cardano")
    finally:
        client.close()


@pytest.mark.parametrize(
    ("url", "recorded"),
    [
        ("http://bf.test:notaport/api/v0/x?k=secret", "http://bf.test:notaport/api/v0/x"),
        ("http://user:pw@[::1/x", "http://[::1/x"),
    ],
)
def test_malformed_url_is_refused_and_recorded_not_a_crash(url: str, recorded: str) -> None:
    inner = Scripted()
    egress = Egress(inner=inner)
    with pytest.raises(EgressRefused) as info:
        egress.request("GET", url, purpose="cardano")
    assert info.value.code == "URI_TARGET_FORBIDDEN"
    assert inner.reached == []
    assert egress.audit_trail() == [
        {
            "url": recorded,
            "method": "GET",
            "status": "forbidden",
            "bytes": 0,
            "durationMs": 0.0,
            "purpose": "cardano",
        }
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/\x00", "http://" + "a" * 70 + ".test/"])
def test_real_client_turns_url_errors_into_transport_errors(url: str) -> None:
    client = HttpxClient(timeout=2.0)
    egress = Egress(inner=client)
    try:
        with pytest.raises(TransportError):
            egress.request("GET", url, purpose="cardano")
    finally:
        client.close()
    [entry] = egress.audit_trail()
    assert entry["status"].startswith("error: ") and entry["bytes"] == 0
