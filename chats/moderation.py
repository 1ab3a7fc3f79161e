"""Staff moderation of 1:1 messages: remove them for everyone, with their attachments."""

from django.db.models import QuerySet

from accounts.models import User
from attachments.deletion import remove_with_media
from chats.models import Message
from whatsapp.errors import Forbidden


def remove_messages(staff: User, *, messages: QuerySet[Message]) -> int:
    """Mark these messages removed and delete their media (rows now, bytes once unshared).

    A removed message keeps its place in the history but shows no content or media.
    Returns how many messages were newly removed.
    """
    if not staff.is_staff:
        raise Forbidden("Only staff can remove messages.")
    return remove_with_media(messages, media_of="message")
