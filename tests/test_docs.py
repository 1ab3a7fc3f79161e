"""docs/api.md stays true: it names every REST route and every frame a client may send."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import URLResolver, get_resolver

from whatsapp.frames import HANDLERS

API_PREFIX = "api/v1/"


def api_doc() -> str:
    return (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()


def routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def documented_form(route: str) -> str:
    """``users/<int:user_id>/`` as the docs write it: ``users/{user_id}/``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.removeprefix(API_PREFIX))


def test_every_rest_route_is_in_the_api_doc():
    doc = api_doc()
    api_routes = [r for r in routes(get_resolver().url_patterns) if r.startswith(API_PREFIX)]

    missing = [documented_form(r) for r in api_routes if f"`{documented_form(r)}`" not in doc]

    assert api_routes
    assert missing == []


def test_every_client_frame_type_is_in_the_api_doc():
    doc = api_doc()

    missing = [frame_type for frame_type in HANDLERS if f"`{frame_type}`" not in doc]

    assert "message.send" in HANDLERS
    assert missing == []
