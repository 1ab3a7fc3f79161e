"""ASGI entry point: HTTP through Django, /ws/ through the app consumer."""

import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from whatsapp.consumers import AppConsumer  # noqa: E402
from whatsapp.request_limits import LimitRequestBody  # noqa: E402
from whatsapp.websocket_protocol import (  # noqa: E402
    close_protocol_errors_with_a_code,
    slim_idle_sockets,
)
from whatsapp.ws_auth import TokenOrSessionAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": LimitRequestBody(django_asgi_app),
        "websocket": TokenOrSessionAuthMiddleware(URLRouter([path("ws/", AppConsumer.as_asgi())])),
    }
)
close_protocol_errors_with_a_code()
slim_idle_sockets()

# Python's cyclic GC stopped the event loop for 70-160 ms every few seconds under load: a full
# pass walks every object, and nearly all of them are what startup built (modules, classes, URL
# patterns). Frozen, those are never walked again (docs/performance.md, item 18).
gc.freeze()
sys.setswitchinterval(settings.SWITCH_INTERVAL_MS / 1000)
