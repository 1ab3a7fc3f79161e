"""Staff moderation of 1:1 messages: remove them for everyone, with their attachments."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from chats import media
from chats.models import Message, Multimedia
from whatsapp.errors import Forbidden


def remove_messages(staff: User, *, messages: QuerySet[Message]) -> int:
    """Mark these messages removed and delete their media (rows now, bytes once unshared).

    A removed message keeps its place in the history but shows no content or media.
    Returns how many messages were newly removed.
    """
    if not staff.is_staff:
        raise Forbidden("Only staff can remove messages.")
    with transaction.atomic():
        ids = list(messages.filter(removed_at__isnull=True).values_list("id", flat=True))
        Message.objects.filter(id__in=ids).update(removed_at=timezone.now())
        media.delete_media(Multimedia.objects.filter(message_id__in=ids))
    return len(ids)
