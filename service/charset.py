"""JSON bodies in the charset their ``Content-Type`` names, as plain ASGI middleware.

Chinese Windows tools still send GB18030 (or GBK, GB2312, its subsets). JSON parsers read only
UTF-8/16/32, so such a body is decoded here with the charset its header declares and passed on
as UTF-8. A body that does not decode is a 400 that says which charset failed; a charset we do
not read is a 415. Bodies already in UTF-8, and non-JSON bodies, pass through untouched.
"""

from __future__ import annotations

import codecs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Charsets read as GB18030, a superset of GBK and GB2312 (GB18030-2022 keeps that property).
_GB = {"gb18030", "gbk", "gb2312", "cp936", "euc-cn", "x-gbk"}
_UTF8 = {"utf-8", "utf8"}


def _charset(content_type: str) -> tuple[str, str | None]:
    """(media type, charset or None) of a Content-Type header."""
    media, _, params = content_type.partition(";")
    charset = None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"').lower() or None
    return media.strip().lower(), charset


class JsonCharset:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        raw_type = dict(headers).get(b"content-type", b"").decode("latin-1")
        media, charset = _charset(raw_type)
        if not media.endswith("json") or charset is None or charset in _UTF8:
            await self.app(scope, receive, send)
            return
        name = "gb18030" if charset in _GB else charset
        try:
            codecs.lookup(name)
        except LookupError:
            detail = {"detail": f"charset {charset!r} is not supported: send UTF-8 or GB18030"}
            await JSONResponse(detail, status_code=415)(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # the client left: let the app see it
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            text = bytes(body).decode(name)
        except UnicodeDecodeError as exc:
            detail = {
                "detail": f"the body is not valid {charset} (byte {exc.start}): re-save as UTF-8"
            }
            await JSONResponse(detail, status_code=400)(scope, receive, send)
            return
        utf8 = text.encode("utf-8")
        scope = dict(scope)
        scope["headers"] = [
            (k, v) for k, v in headers if k not in (b"content-type", b"content-length")
        ] + [
            (b"content-type", f"{media}; charset=utf-8".encode()),
            (b"content-length", str(len(utf8)).encode()),
        ]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": utf8, "more_body": False}

        await self.app(scope, replay, send)
