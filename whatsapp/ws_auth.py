"""WebSocket authentication: a DRF token header, or the session cookie from an allowed Origin.

Part of the project's ASGI wiring (used by ``whatsapp.asgi`` and ``whatsapp.consumers`` only),
not of the infrastructure the apps import: it reads accounts' tokens, as the DRF settings name
``accounts.authentication`` for HTTP (README, "Architecture": layers).
"""

from importlib import import_module
from io import BytesIO
from types import SimpleNamespace
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.http import is_same_domain

from accounts.selectors import user_for_token
from whatsapp.db import database_sync_to_async


@database_sync_to_async
def active_user_for_token(key: str):
    user = user_for_token(key)
    return user if user is not None and user.is_active else AnonymousUser()


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def handshake_request(scope) -> HttpRequest:
    """The handshake as Django sees an HTTP request, for its ``get_host()`` (checked against
    ALLOWED_HOSTS) and ``is_secure()`` (a ``wss`` socket, or the header SECURE_PROXY_SSL_HEADER
    names, when the settings name one)."""
    secure = scope.get("scheme") in ("wss", "https")
    return ASGIRequest(dict(scope, method="GET", scheme="https" if secure else "http"), BytesIO())


def origin_allowed(scope) -> bool:
    """Whether the handshake's ``Origin`` is the server's own origin or a trusted one.

    Django's rule for a POST's ``Origin`` (``CsrfViewMiddleware._origin_verified``): exactly
    ``<scheme>://<host>`` of the request itself, the scheme from ``is_secure()`` and the host,
    port included, from ``get_host()``; or one of CSRF_TRUSTED_ORIGINS, where
    ``https://*.example.com`` names the subdomains too. A host name alone is not an origin:
    ``http://127.0.0.1:1`` is another site than ``http://127.0.0.1:8000``.
    """
    origin = _header(scope, b"origin")
    if not origin:
        return False
    request = handshake_request(scope)
    try:
        if origin == f"{'https' if request.is_secure() else 'http'}://{request.get_host()}":
            return True
    except DisallowedHost:  # a Host outside ALLOWED_HOSTS is no origin of ours
        pass
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in (allowed for allowed in trusted if "*" not in allowed):
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    wildcards = (urlsplit(allowed) for allowed in trusted if "*" in allowed)
    return any(
        is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in wildcards
        if pattern.scheme == parsed.scheme
    )


class TokenOrSessionAuthMiddleware:
    """Sets ``scope["user"]``: from ``Authorization: Token <key>``, else from the session.

    A session-authenticated handshake must come from the server's own origin or a trusted one
    (:func:`origin_allowed`; cross-site WebSocket hijacking); a token handshake needs no
    Origin, as API clients send none.
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
            return await self.inner(dict(scope, user=user, token=key.strip()), receive, send)
        if not origin_allowed(scope):
            return await self.inner(dict(scope, user=AnonymousUser()), receive, send)
        return await self.session_stack(scope, receive, send)


@database_sync_to_async
def credentials_hold(scope) -> bool:
    """Whether the token or browser session a socket was opened with still signs its user in.

    Asked when the user's credentials change (a password change, a revoked token): the
    session is read afresh from its store, and Django's own check (``get_user``, which compares
    the session's password hash) decides, so a session ended elsewhere ends here too.
    """
    user = scope["user"]
    if "token" in scope:
        fresh = user_for_token(scope["token"])
        return fresh is not None and fresh.id == user.id and fresh.is_active
    session = scope.get("session")
    if session is None or not session.session_key:
        return False
    engine = import_module(settings.SESSION_ENGINE)
    request = SimpleNamespace(session=engine.SessionStore(session.session_key))
    fresh = get_user(request)
    return fresh.is_authenticated and fresh.id == user.id
