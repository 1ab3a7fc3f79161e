"""Response headers every page gets: the Content-Security-Policy.

The pages load scripts and styles only from our own origin (no inline ``<script>``, no inline
event handlers, no ``style=`` attributes), talk to ``/ws/`` on the same host, and show images,
audio and video from our origin or from ``blob:`` / ``data:`` URLs made in the page (previews of
files being attached, recorded voice notes). Nothing may frame them.

A view that needs more (the Swagger UI at ``/api/docs/`` loads its bundle from a CDN) is wrapped
in :func:`csp_update`. A response that already carries a policy keeps it (file downloads send
``sandbox``).
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "media-src": ("'self'", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def build_policy(request: HttpRequest, extra: dict[str, tuple[str, ...]] | None = None) -> str:
    """The policy for ``request``: the socket's ``ws:``/``wss:`` URL of this very host allowed."""
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    # Not every browser counts ws: of the same host as 'self': name it (get_host() checks it
    # against ALLOWED_HOSTS; the 400 for a bad Host gets the policy without it).
    try:
        host = request.get_host()
    except DisallowedHost:
        host = None
    if host:
        directives["connect-src"] += [f"ws://{host}", f"wss://{host}"]
    for name, sources in (extra or {}).items():
        directives.setdefault(name, [])
        directives[name] += [s for s in sources if s not in directives[name]]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = build_policy(request, getattr(response, "csp_update", None))
        return response


def csp_update(**directives: tuple[str, ...]) -> Callable:
    """Decorate a view to add sources to directives: ``csp_update(script_src=("https://x",))``."""
    extra = {name.replace("_", "-"): tuple(sources) for name, sources in directives.items()}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_update = extra
            return response

        return wrapped

    return decorator
