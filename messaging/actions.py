"""What a participant does to a message after it is sent, for every kind of chat: react, edit,
delete for everyone or for themselves, star. Each is one function over a
:class:`messaging.sending.ChatKind` (``chats.services.ONE_TO_ONE``, ``groups.services.IN_GROUP``)
that the socket, REST and the pages call.

Who may do what: a message is acted on only by someone who may see it (the kind's ``visible``:
NotFound otherwise, so an ex-member acts on nothing); editing and deleting for everyone are the
sender's (Forbidden, ``not_sender``) within ``MESSAGE_EDIT_WINDOW_SECONDS`` and
``MESSAGE_DELETE_WINDOW_SECONDS`` of sending (Conflict, ``edit_window_closed`` /
``delete_window_closed``). A message deleted for everyone (or removed by staff) is a tombstone:
nothing but deleting it for oneself or starring applies (Conflict, ``deleted``).

A reaction, an edit and a delete for everyone reach every participant's sockets as the whole
message (``message.updated`` / ``group_message.updated``, one channel-layer call); a delete for
oneself reaches the user's own sockets (``message.hidden``), and so does a star
(``message.starred``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import emoji as emoji_data
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from attachments.deletion import delete_media
from attachments.prefetch import mark_without_media
from messaging.prefetch import load_reactions, mark_new
from messaging.rules import check_content
from messaging.sending import ChatKind
from messaging.serializers import is_gone
from whatsapp import realtime
from whatsapp.errors import Conflict, DomainError, Forbidden

# The longest emoji sequence stored (a family with skin tones is about 11 code points).
EMOJI_MAX_LENGTH = 32


def _related(kind: ChatKind, name: str) -> type[Model]:
    return kind.model._meta.get_field(name).related_model


def _live(message: Model) -> None:
    if is_gone(message):
        raise Conflict("This message was deleted.", code="deleted")


def _own(user: User, message: Model, *, doing: str) -> None:
    if message.sender_id != user.id:
        raise Forbidden(f"Only the sender can {doing} a message.", code="not_sender")


def _within(message: Model, seconds: int, *, code: str, doing: str) -> None:
    if timezone.now() - message.sent_at > timedelta(seconds=seconds):
        raise Conflict(f"This message is too old to {doing}.", code=code)


def _updated(kind: ChatKind, message: Model, **changed: Any) -> Model:
    """``message`` (loaded by the kind's ``visible``) with what was just written set on it
    too, pushed to every participant after the commit: no second load."""
    for name, value in changed.items():
        setattr(message, name, value)
    kind.publish_updated(message)
    return message


def clean_emoji(value: Any) -> str:
    """One emoji (a single grapheme the Unicode emoji data names, skin tones and ZWJ sequences
    included); anything else is refused on ``emoji``."""
    if (
        not isinstance(value, str)
        or len(value) > EMOJI_MAX_LENGTH
        or not emoji_data.is_emoji(value)
    ):
        raise DomainError("Choose one emoji.", code="invalid", field="emoji")
    return value


def react(kind: ChatKind, user: User, *, message_id: int, emoji: Any) -> Model:
    """Set ``user``'s reaction to a message they may see (one per user; a new one replaces
    theirs)."""
    emoji = clean_emoji(emoji)
    reactions = _related(kind, "reactions")
    with transaction.atomic():
        message = kind.visible(user, message_id)
        _live(message)
        # One INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike).
        reactions.objects.bulk_create(
            [reactions(message_id=message.id, user_id=user.id, emoji=emoji)],
            update_conflicts=True,
            unique_fields=["message", "user"],
            update_fields=["emoji", "reacted_at"],
        )
        load_reactions([message])
        return _updated(kind, message)


def unreact(kind: ChatKind, user: User, *, message_id: int) -> Model:
    """Take back ``user``'s reaction to a message they may see (nothing if they had none)."""
    with transaction.atomic():
        message = kind.visible(user, message_id)
        deleted, _ = (
            _related(kind, "reactions")
            .objects.filter(message_id=message.id, user_id=user.id)
            .delete()
        )
        if not deleted:
            return message
        load_reactions([message])
        return _updated(kind, message)


def edit(kind: ChatKind, user: User, *, message_id: int, content: Any) -> Model:
    """Replace the text of ``user``'s own message, within the edit window; ``edited_at`` is
    set. The text obeys the rules of a send (a message with media may lose its caption)."""
    if not isinstance(content, str):
        raise DomainError("Type the new text.", code="invalid", field="content")
    with transaction.atomic():
        message = kind.visible(user, message_id)
        _own(user, message, doing="edit")
        _live(message)
        _within(
            message, settings.MESSAGE_EDIT_WINDOW_SECONDS, code="edit_window_closed", doing="edit"
        )
        check_content(content, has_media=bool(message.media.all()))
        now = timezone.now()
        kind.model.objects.filter(id=message.id).update(content=content, edited_at=now)
        return _updated(kind, message, content=content, edited_at=now)


def delete_for_everyone(kind: ChatKind, user: User, *, message_id: int) -> Model:
    """Erase ``user``'s own message for everyone, within the delete window: its content, its
    media (rows now, files once committed) and its reactions go; the row stays as a tombstone
    (``deleted``), so replies quoting it show that it was deleted. Deleting again changes
    nothing."""
    with transaction.atomic():
        message = kind.visible(user, message_id)
        _own(user, message, doing="delete")
        if message.deleted_at is not None:
            return message
        _within(
            message,
            settings.MESSAGE_DELETE_WINDOW_SECONDS,
            code="delete_window_closed",
            doing="delete for everyone",
        )
        delete_media(message.media.all())
        _related(kind, "reactions").objects.filter(message_id=message.id).delete()
        now = timezone.now()
        kind.model.objects.filter(id=message.id).update(content="", deleted_at=now)
        mark_without_media(message)
        mark_new(message)
        return _updated(kind, message, content="", deleted_at=now)


def delete_for_me(kind: ChatKind, user: User, *, message_id: int) -> None:
    """Take a message out of ``user``'s own history, inbox and search; the others keep it.
    ``user``'s other sockets get ``message.hidden``."""
    with transaction.atomic():
        message = kind.visible(user, message_id)
        _related(kind, "hides").objects.get_or_create(message_id=message.id, user_id=user.id)
        realtime.publish([user.id], {"type": "message.hidden", kind.id_key: message.id})


def star(kind: ChatKind, user: User, *, message_id: int, starred: bool) -> Model:
    """Star or unstar a message ``user`` may see; the message comes back with ``starred``, and
    ``user``'s sockets get ``message.starred`` (their other tabs show the star)."""
    with transaction.atomic():
        message = kind.visible(user, message_id)
        stars = _related(kind, "stars").objects
        if starred:
            stars.get_or_create(message_id=message.id, user_id=user.id)
        else:
            stars.filter(message_id=message.id, user_id=user.id).delete()
        realtime.publish(
            [user.id], {"type": "message.starred", kind.id_key: message.id, "starred": starred}
        )
    message.starred = starred
    return message
