"""Request-body size limit, as plain ASGI middleware.

A ``Content-Length`` over the limit is refused before anything is read; a body sent without one
(chunked transfer) is counted while it streams in and refused as soon as it passes the limit, so
a client cannot make the service buffer an unbounded body by leaving the header out.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> dict:
        return {"detail": f"request body over {self.max_bytes} bytes"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            await JSONResponse(self._detail(), status_code=413)(scope, receive, send)
            return
        seen, answered = 0, False

        async def send_unless_answered(message: Message) -> None:
            if not answered:
                await send(message)

        async def limited() -> Message:
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer 413 now; the endpoint sees the client gone and its reply is dropped.
                    await JSONResponse(self._detail(), status_code=413)(scope, receive, send)
                    answered = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited, send_unless_answered)
