"""Template helpers of calls: durations, and the call UI's configuration for calls.js."""

import json

from django import template
from django.conf import settings
from django.utils.html import json_script

register = template.Library()


@register.filter
def format_duration(seconds: int | None) -> str:
    """``65`` -> ``"1:05"``, ``3725`` -> ``"1:02:05"``; empty for None."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.simple_tag
def call_config_json(element_id: str = "call-config"):
    """The ICE servers and ring timeout, as a ``json_script`` block for calls.js."""
    try:
        ice_servers = json.loads(settings.WEBRTC_ICE_SERVERS or "[]")
    except ValueError:
        ice_servers = []
    config = {
        "ice_servers": ice_servers if isinstance(ice_servers, list) else [],
        "ring_timeout_seconds": settings.CALL_RING_TIMEOUT_SECONDS,
    }
    return json_script(config, element_id)
