"""Only pages served from this machine may talk to the visual run.

Solara accepts HTTP requests and websocket connections whatever their ``Host`` and
``Origin`` headers, so any web page open in the user's browser could connect to the
server on 127.0.0.1 and drive the model, and a DNS-rebinding name could reach it as a
"same-origin" page. :class:`LoopbackGuard` wraps the server's ASGI app: when the server
listens on a loopback address, a request must name a loopback host (``127.0.0.1``,
``localhost`` or ``[::1]``, on the served port), and a request that carries an
``Origin`` must come from such a host too; anything else gets 403 (a websocket is
closed before it opens). On any other address (``--host 0.0.0.0``, chosen explicitly)
it still refuses an ``Origin`` that is not the host the request was sent to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


def is_loopback(host: str) -> bool:
    """True for the names and addresses of this machine the server may listen on."""
    return host in LOOPBACK_NAMES or host.startswith("127.")


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """``host:port`` values a request may name; None: any (a non-loopback listener)."""
    if not is_loopback(host):
        return None
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return {f"{name}:{port}" for name in names}


class LoopbackGuard:
    """ASGI middleware refusing requests whose Host or Origin is not this server."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.allowed = allowed_hosts(host, port)

    def permits(self, headers: dict[str, str]) -> bool:
        """Whether a request with these (lower-case) headers may go through."""
        host = headers.get("host", "")
        if self.allowed is not None and host not in self.allowed:
            return False
        origin = headers.get("origin")
        if origin is None:  # not sent by a browser page on another site
            return True
        netloc = urlsplit(origin).netloc
        return netloc in self.allowed if self.allowed is not None else netloc == host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if self.permits(headers):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body",
                        "body": b"dmzsim viz: only pages served from this machine\n"})
