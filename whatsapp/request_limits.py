"""Bound every HTTP request body before Django reads it.

Django's ASGI handler reads a whole body (to memory, then to a temporary file) before any
middleware or view runs, and nothing else bounds a body that carries files
(``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts form fields only). :class:`LimitRequestBody` wraps the
HTTP application: a body declared larger than ``settings.MAX_REQUEST_BODY_SIZE`` is answered
413 without reading a byte of it, and one that grows past it while being read (chunked, or a
lying ``Content-Length``) is cut off with the same answer. The per-message limits on files
(count and total size) are checked by ``attachments.uploads.prepare_uploads`` with a clear
error; this bound sits just above them.
"""

import json

from django.conf import settings
from django.template.defaultfilters import filesizeformat


class LimitRequestBody:
    """ASGI middleware: 413 for a request body over ``settings.MAX_REQUEST_BODY_SIZE``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = int(settings.MAX_REQUEST_BODY_SIZE)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return None
        received = 0
        state = {"started": False, "refused": False}

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not state["refused"]:
                    state["refused"] = True
                    if not state["started"]:
                        await _refuse(scope, send, limit)
                    # The app stops reading as if the client had gone; it answers nobody.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if state["refused"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        return await self.app(scope, limited_receive, guarded_send)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope, send, limit: int) -> None:
    """Answer 413 in the API's error shape (or as text for pages) and close the connection: the
    body was not read, so it cannot carry another request."""
    detail = f"The request is too large: at most {filesizeformat(limit)}."
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": detail, "code": "too_large"}).encode()
        content_type = b"application/json"
    else:
        body = detail.encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
