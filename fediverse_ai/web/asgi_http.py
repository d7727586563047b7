"""How the app takes an HTTP request from the ASGI server.

Quart's own connection class starts two tasks for every request, one reading body messages and
one running the handler, waits for the first to finish and cancels the other. For a request
whose whole body arrived in its first message (hypercorn sends bodiless requests, every GET,
that way) there is nothing left to read, so this class runs the handler in the connection's
own task instead, as Starlette does: about a seventh of the framework's cost of a small JSON
answer. Such a handler is not cancelled when its client goes away; it finishes and its answer
is dropped (handlers are short, and cancelling one inside a database transaction is what we
avoid elsewhere). A request whose body is still streaming in goes the usual way, its first
message handed back in front.
"""

from __future__ import annotations

from hypercorn.typing import ASGIReceiveEvent
from quart.asgi import ASGIHTTPConnection
from quart.typing import ASGIReceiveCallable, ASGISendCallable


class CompleteBodyFirst(ASGIHTTPConnection):
    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        first = await receive()
        if first["type"] == "http.request" and not first.get("more_body", False):
            request = self._create_request_from_scope(send)
            request.body.append(first.get("body", b""))
            request.body.set_complete()
            await self.handle_request(request, send)
            return
        replayed = False

        async def receive_again() -> ASGIReceiveEvent:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await super().__call__(receive_again, send)
