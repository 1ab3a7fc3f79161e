"""WebSocket frames of the message actions, declared once for every kind of chat.

:func:`register_action_frames` declares ``<prefix>.react``, ``<prefix>.edit``,
``<prefix>.delete`` and ``<prefix>.star`` for a :class:`messaging.sending.ChatKind`, where the
prefix and the id field come from the kind's ``id_key`` (``message_id``: ``message.react``
{message_id, ...}; ``group_message_id``: ``group_message.react`` {group_message_id, ...}).
chats and groups call it from their frames modules. A handler checks the frame's shape and
calls :mod:`messaging.actions` in a worker thread; success is the push the action makes
(``*.updated``, ``message.hidden``, ``message.starred``), refusals are ``error`` frames.
"""

from __future__ import annotations

from typing import Any

from messaging import actions
from messaging.sending import ChatKind
from whatsapp.db import database_sync_to_async
from whatsapp.frames import bool_field, choice_field, frame, int_field, str_field


def register_action_frames(kind: ChatKind) -> None:
    """Declare the react, edit, delete and star frames of ``kind``'s messages."""
    id_key = kind.id_key
    prefix = id_key.removesuffix("_id")

    @frame(f"{prefix}.react", required=(id_key,))
    async def react(consumer, data: dict[str, Any]) -> None:
        """{id, emoji}: set my reaction; a null or "" emoji takes it back."""
        message_id = int_field(data, id_key)
        emoji = data.get("emoji")
        if emoji is None or emoji == "":
            await database_sync_to_async(actions.unreact)(
                kind, consumer.user, message_id=message_id
            )
        else:
            await database_sync_to_async(actions.react)(
                kind, consumer.user, message_id=message_id, emoji=emoji
            )

    @frame(f"{prefix}.edit", required=(id_key, "content"))
    async def edit(consumer, data: dict[str, Any]) -> None:
        message_id, content = int_field(data, id_key), str_field(data, "content")
        await database_sync_to_async(actions.edit)(
            kind, consumer.user, message_id=message_id, content=content
        )

    @frame(f"{prefix}.delete", required=(id_key, "for"))
    async def delete(consumer, data: dict[str, Any]) -> None:
        message_id = int_field(data, id_key)
        if choice_field(data, "for", ("me", "everyone")) == "me":
            await database_sync_to_async(actions.delete_for_me)(
                kind, consumer.user, message_id=message_id
            )
        else:
            await database_sync_to_async(actions.delete_for_everyone)(
                kind, consumer.user, message_id=message_id
            )

    @frame(f"{prefix}.star", required=(id_key, "starred"))
    async def star(consumer, data: dict[str, Any]) -> None:
        message_id, starred = int_field(data, id_key), bool_field(data, "starred")
        await database_sync_to_async(actions.star)(
            kind, consumer.user, message_id=message_id, starred=starred
        )
