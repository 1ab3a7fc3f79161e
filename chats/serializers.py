"""Shapes of the 1:1 chats API: inbox rows (written by :func:`chat_row_json`) and the input
serializers. Messages, 1:1 and group alike, are shaped in :mod:`messaging.serializers`."""

from operator import attrgetter
from typing import Annotated, Literal, TypedDict

from rest_framework import serializers

from accounts.serializers import PublicProfileJSON, public_profile_json
from chats.selectors import GROUP_MESSAGE, ChatRow, StarredItem
from messaging.serializers import (
    GroupMessageForMeJSON,
    GroupMessageJSON,
    MessageForMeJSON,
    MessageJSON,
    group_message_for_me_json,
    group_message_json,
    message_for_me_json,
    message_json,
)
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp


class InboxGroupJSON(TypedDict):
    group_id: int
    group_name: str


def inbox_group_json(group) -> InboxGroupJSON:
    return {"group_id": group.id, "group_name": group.name}


class InboxGroupSerializer(ShapeSerializer):
    shape = InboxGroupJSON
    writer = inbox_group_json


class ChatRowJSON(TypedDict):
    kind: Literal["user", "group"]
    peer: PublicProfileJSON | None
    group: InboxGroupJSON | None
    last_message: Annotated[
        MessageJSON | GroupMessageJSON | None,
        serializers.JSONField(
            read_only=True,
            help_text="A message (kind user) or group message (kind group), or null.",
        ),
    ]
    unread_count: int
    last_activity_at: Timestamp


def chat_row_json(row: ChatRow, request) -> ChatRowJSON:
    """An inbox row; the peer comes from :func:`chats.selectors.chats_for`, which annotates
    ``has_blocked_me`` (so their status is hidden without a query per response)."""
    peer, group, message = row.peer, row.group, row.last_message
    if peer is not None:
        peer = public_profile_json(peer, request, has_blocked_viewer=attrgetter("has_blocked_me"))
    if message is not None:
        message = (group_message_json if row.kind == "group" else message_json)(message)
    return {
        "kind": row.kind,
        "peer": peer,
        "group": None if group is None else inbox_group_json(group),
        "last_message": message,
        "unread_count": row.unread_count,
        "last_activity_at": timestamp(row.last_activity_at),
    }


class ChatRowSerializer(ShapeSerializer):
    """One inbox row: a 1:1 peer (``kind`` "user") or a group (``kind`` "group")."""

    shape = ChatRowJSON

    def to_representation(self, row: ChatRow) -> ChatRowJSON:
        return chat_row_json(row, self.context.get("request"))


class StarredItemJSON(TypedDict):
    kind: Literal["message", "group_message"]
    message: MessageForMeJSON | None
    group_message: GroupMessageForMeJSON | None
    chat: Annotated[
        dict,
        serializers.JSONField(
            read_only=True,
            help_text="The chat it is in: {user_id, name} (the other user of a 1:1 chat) or "
            "{group_id, name}.",
        ),
    ]
    starred_at: Timestamp


def starred_item_json(item: StarredItem) -> StarredItemJSON:
    """One starred message: the message of its kind (the other key null) and its chat."""
    in_group = item.kind == GROUP_MESSAGE
    return {
        "kind": item.kind,
        "message": None if in_group else message_for_me_json(item.message),
        "group_message": group_message_for_me_json(item.message) if in_group else None,
        "chat": {"group_id" if in_group else "user_id": item.chat_id, "name": item.chat_name},
        "starred_at": timestamp(item.starred_at),
    }


class StarredItemSerializer(ShapeSerializer):
    """A message I starred (1:1 or group), with the chat that opens it."""

    shape = StarredItemJSON
    writer = starred_item_json


class ContentSerializer(serializers.Serializer):
    """What a composer posts: text and attached files (JSON, or multipart with ``files``)."""

    content = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, default=""
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class SendSerializer(ContentSerializer):
    """A message send: text, files and the ``client_id`` that makes retrying it safe."""

    client_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=False, max_length=64, default=None
    )


class MessageCreateSerializer(SendSerializer):
    """POST messages/: JSON, or multipart with ``files``."""

    receiver_id = serializers.IntegerField(min_value=1)
    reply_to_message_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The message of this chat to quote (a reply).",
    )


class ForwardSerializer(serializers.Serializer):
    receiver_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=50
    )


# POST messages/read/ {with}: "with" is a Python keyword, so the class is built by name.
ReadSerializer = type(
    "ReadSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "POST messages/read/: the peer whose messages to me become read.",
        "with": serializers.IntegerField(min_value=1, help_text="The peer's user_id."),
    },
)


class ReadResultSerializer(serializers.Serializer):
    read_count = serializers.IntegerField(help_text="How many messages became read.")
    message_ids = serializers.ListField(child=serializers.IntegerField())
