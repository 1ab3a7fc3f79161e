"""WebSocket authentication: a DRF token header, or the session cookie from an allowed Origin."""

from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host

from whatsapp.db import database_sync_to_async


@database_sync_to_async
def active_user_for_token(key: str):
    from accounts.selectors import user_for_token

    user = user_for_token(key)
    return user if user is not None and user.is_active else AnonymousUser()


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def origin_allowed(origin: str | None) -> bool:
    if not origin:
        return False
    host = urlparse(origin).hostname
    if host is None:
        return False
    allowed = settings.ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
    return validate_host(host, allowed) or validate_host(f"[{host}]", allowed)


class TokenOrSessionAuthMiddleware:
    """Sets ``scope["user"]``: from ``Authorization: Token <key>``, else from the session.

    A session-authenticated handshake must come from an allowed Origin (cross-site WebSocket
    hijacking); a token handshake needs no Origin, as API clients send none.
    """

    def __init__(self, inner):
        self.inner = inner
        self.session_stack = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        authorization = _header(scope, b"authorization")
        if authorization:
            kind, _, key = authorization.partition(" ")
            user = AnonymousUser()
            if kind.lower() == "token" and key.strip():
                user = await active_user_for_token(key.strip())
            return await self.inner(dict(scope, user=user), receive, send)
        if not origin_allowed(_header(scope, b"origin")):
            return await self.inner(dict(scope, user=AnonymousUser()), receive, send)
        return await self.session_stack(scope, receive, send)
