"""Registry of WebSocket frame handlers and connection hooks, filled by each app's frames.py.

An app declares ``@frame("message.send", required=("receiver_id", "content"))`` on an
``async def handler(consumer, data)``; the consumer validates the envelope and the required
fields, then calls it. Handlers raise :class:`whatsapp.errors.DomainError` to answer with an
``error`` frame. A handler that sends a message counts it against the user's send rate
(``whatsapp.ratelimit``: an ``error`` with code ``rate_limited`` beyond it) in the same
database-thread call that stores it; 1:1 sends share that call in batches
(``whatsapp.db.Batch``).
``@on_connect`` hooks run after ``ready`` (join channel groups, replay what the user missed);
``@on_disconnect`` hooks run when the socket closes.

The ``sync`` frame (registered by chats) replays, per watermark field, what each
``@sync_source(field)`` returns: chats serves ``after_message_id``, groups
``after_group_message_id``.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from whatsapp.errors import DomainError

Handler = Callable[[Any, dict[str, Any]], Awaitable[None]]
Hook = Callable[[Any], Awaitable[None]]
# fetch(user, after_id, limit) -> up to `limit` (id, frame) pairs with id > after_id, ascending.
SyncFetch = Callable[[Any, int, int], list[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class FrameSpec:
    handler: Handler
    required: tuple[str, ...]


HANDLERS: dict[str, FrameSpec] = {}
CONNECT_HOOKS: list[Hook] = []
DISCONNECT_HOOKS: list[Hook] = []
SYNC_SOURCES: dict[str, SyncFetch] = {}


# Ids are bigints: a larger number names nothing (and could not even be compared on SQLite).
MAX_ID = 2**63 - 1


def int_field(data: dict[str, Any], name: str, *, minimum: int = 1) -> int:
    """Frame field ``name`` as an integer from ``minimum`` up to a bigint; else ``invalid``."""
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise DomainError(
            f"{name} must be an integer of at least {minimum}.", code="invalid", field=name
        )
    if value > MAX_ID:
        raise DomainError(f"{name} is out of range.", code="invalid", field=name)
    return value


def optional_int_field(data: dict[str, Any], name: str) -> int | None:
    """Frame field ``name`` as :func:`int_field` reads it, or None when absent or null."""
    return None if data.get(name) is None else int_field(data, name)


def bool_field(data: dict[str, Any], name: str) -> bool:
    """Frame field ``name`` as a boolean (true or false, nothing else); else ``invalid``."""
    value = data.get(name)
    if not isinstance(value, bool):
        raise DomainError(f"{name} must be true or false.", code="invalid", field=name)
    return value


def choice_field(data: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    """Frame field ``name`` as one of ``choices``; else ``invalid``."""
    value = data.get(name)
    if value not in choices:
        raise DomainError(
            f"{name} must be one of: {', '.join(choices)}.", code="invalid", field=name
        )
    return value


def str_field(data: dict[str, Any], name: str) -> str:
    """Frame field ``name`` as a string; else ``invalid``."""
    value = data.get(name)
    if not isinstance(value, str):
        raise DomainError(f"{name} must be a string.", code="invalid", field=name)
    return value


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


def sync_source(field: str) -> Callable[[SyncFetch], SyncFetch]:
    """Register the replay of one kind of item for the ``sync`` frame's ``field`` watermark.

    The fetch is a plain (blocking) function run in a worker thread, called repeatedly with the
    last id it returned until it returns fewer than ``limit`` items. It returns only what the
    user may see, and may record that what it returns reached the user (delivered).
    """

    def register(fetch: SyncFetch) -> SyncFetch:
        if field in SYNC_SOURCES:
            raise RuntimeError(f"sync source {field!r} registered twice")
        SYNC_SOURCES[field] = fetch
        return fetch

    return register
