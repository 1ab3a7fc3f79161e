"""Registry of WebSocket frame handlers and connection hooks, filled by each app's frames.py.

An app declares ``@frame("message.send", required=("receiver_id", "content"))`` on an
``async def handler(consumer, data)``; the consumer validates the envelope and the required
fields, then calls it. Handlers raise :class:`whatsapp.errors.DomainError` to answer with an
``error`` frame. ``@on_connect`` hooks run after ``ready`` (join channel groups, replay what the
user missed); ``@on_disconnect`` hooks run when the socket closes.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[Any, dict[str, Any]], Awaitable[None]]
Hook = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class FrameSpec:
    handler: Handler
    required: tuple[str, ...]


HANDLERS: dict[str, FrameSpec] = {}
CONNECT_HOOKS: list[Hook] = []
DISCONNECT_HOOKS: list[Hook] = []


def frame(type_: str, *, required: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if type_ in HANDLERS:
            raise RuntimeError(f"frame type {type_!r} registered twice")
        HANDLERS[type_] = FrameSpec(handler, required)
        return handler

    return register


def on_connect(hook: Hook) -> Hook:
    CONNECT_HOOKS.append(hook)
    return hook


def on_disconnect(hook: Hook) -> Hook:
    DISCONNECT_HOOKS.append(hook)
    return hook
