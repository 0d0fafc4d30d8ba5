"""The visual run answers only pages served from this machine (runs/viz/guard.py)."""

from __future__ import annotations

import asyncio

import pytest
from dmzsim.runs.viz.guard import LoopbackGuard


def call(host: str, kind: str, headers: dict[str, str]) -> list[dict]:
    """Send one request through a guard for a server on ``host``:8765; returns what the
    guard sent back, or ``[{"reached": True}]`` if the app behind it got the request."""
    sent: list[dict] = []
    reached: list[bool] = []

    async def app(scope, receive, send):
        reached.append(True)

    async def send(message):
        sent.append(message)

    async def receive():
        return {}

    scope = {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(LoopbackGuard(app, host, 8765)(scope, receive, send))
    return [{"reached": True}] if reached else sent


LOCAL = "127.0.0.1"


@pytest.mark.parametrize("kind", ["http", "websocket"])
@pytest.mark.parametrize("headers", [
    {"host": "127.0.0.1:8765"},
    {"host": "localhost:8765", "origin": "http://localhost:8765"},
    {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"},
    {"host": "[::1]:8765"},
])
def test_requests_from_this_machine_pass(kind: str, headers: dict) -> None:
    assert call(LOCAL, kind, headers) == [{"reached": True}]


@pytest.mark.parametrize("headers", [
    {"host": "evil.example:8765"},  # DNS rebinding: the name points at 127.0.0.1
    {"host": "127.0.0.1:8765", "origin": "http://evil.example"},  # another site's page
    {"host": "127.0.0.1:8765", "origin": "http://localhost:9999"},  # another local server
    {"host": "127.0.0.1:9999"},
    {},
])
def test_other_hosts_and_origins_are_refused(headers: dict) -> None:
    http = call(LOCAL, "http", headers)
    assert http[0]["type"] == "http.response.start" and http[0]["status"] == 403
    assert call(LOCAL, "websocket", headers) == [{"type": "websocket.close", "code": 1008}]


def test_on_an_address_chosen_for_the_network_only_the_origin_is_checked() -> None:
    exposed = "0.0.0.0"
    assert call(exposed, "websocket", {"host": "10.0.0.5:8765"}) == [{"reached": True}]
    assert call(exposed, "websocket", {"host": "10.0.0.5:8765",
                                       "origin": "http://10.0.0.5:8765"}) == [{"reached": True}]
    refused = call(exposed, "websocket", {"host": "10.0.0.5:8765", "origin": "http://evil.example"})
    assert refused == [{"type": "websocket.close", "code": 1008}]


def test_lifespan_events_go_through() -> None:
    assert call(LOCAL, "lifespan", {}) == [{"reached": True}]
