"""Template helpers of the chat pages: WhatsApp-style times, delivery ticks, message texts."""

from datetime import datetime, timedelta

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import json_script
from django.utils.safestring import SafeString

from attachments.kinds import media_kind
from messaging.serializers import is_gone
from messaging.texts import PAGE_TEXTS
from whatsapp.timestamps import timestamp

register = template.Library()


@register.simple_tag
def message_text(name: str) -> str:
    """One of messaging.texts' words by its page name: ``{% message_text "message_removed" %}``."""
    return PAGE_TEXTS[name]


@register.simple_tag
def message_texts_json() -> SafeString:
    """All of messaging.texts' page words as the ``message-texts`` JSON the scripts read."""
    return json_script(PAGE_TEXTS, "message-texts")


@register.filter
def media_word(file_type: str | None) -> str:
    """What a quote (or a list) shows for a message with media and no text: "Photo",
    "Video", "Voice message" or "Document", by the MIME type of its first attachment."""
    return PAGE_TEXTS["quote_" + media_kind(file_type)] if file_type else ""


@register.filter
def chat_time(value: datetime | None) -> str:
    """ "14:03" today, "Yesterday", a weekday within the week, else "25/11/2026" (as WhatsApp)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    day = local.date()
    if day == today:
        return format_date(local, "H:i")
    if day == today - timedelta(days=1):
        return "Yesterday"
    if today - day < timedelta(days=7):
        return format_date(local, "l")
    return format_date(local, "d/m/Y")


@register.filter
def last_seen(value: datetime | None) -> str:
    """ "last seen today at 14:03", "last seen yesterday at ...", "last seen 25/11/2026 at ..."."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        day = "today"
    elif local.date() == today - timedelta(days=1):
        day = "yesterday"
    else:
        day = format_date(local, "d/m/Y")
    return f"last seen {day} at {format_date(local, 'H:i')}"


@register.filter
def tick_state(message) -> str:
    """read, delivered or sent: which ticks an outgoing message shows."""
    if message.read_at:
        return "read"
    if message.delivered_at:
        return "delivered"
    return "sent"


@register.filter
def is_outgoing(message, user) -> bool:
    return message.sender_id == user.id


@register.filter
def chat_day(value: datetime | None) -> str:
    """The day divider of a conversation: "Today", "Yesterday", or "25 November 2026"."""
    if value is None:
        return ""
    day = timezone.localtime(value).date()
    today = timezone.localdate()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return format_date(timezone.localtime(value), "j F Y")


@register.filter
def iso(value: datetime | None) -> str:
    """A moment as the API and frames write it (``2026-11-25T14:03:00.123456Z``), so that
    server-rendered ``datetime`` and ``data-sent-at`` attributes equal the ones JS draws."""
    return timestamp(value) or ""


@register.simple_tag
def message_windows_json() -> SafeString:
    """How long a message may be edited and deleted for everyone (seconds), as the
    ``message-windows`` JSON static/js/message-actions.js reads to offer those actions."""
    windows = {
        "edit": settings.MESSAGE_EDIT_WINDOW_SECONDS,
        "delete": settings.MESSAGE_DELETE_WINDOW_SECONDS,
    }
    return json_script(windows, "message-windows")


@register.filter(name="is_gone")
def is_gone_filter(message) -> bool:
    """Whether staff removed the message or its sender deleted it for everyone."""
    return is_gone(message)


@register.filter
def name_in(user_id: int, names: dict | None) -> str:
    """A user's name in the page's ``chat_names`` ("You" for me), "" when not there."""
    return (names or {}).get(user_id, "")


@register.filter
def reaction_groups(message, user) -> list[dict]:
    """A message's reactions by emoji, in the order each emoji first came: {emoji, count,
    user_ids ("2,5"), mine} (``Conversation.messageView`` groups the JSON's the same way)."""
    groups: dict[str, dict] = {}
    for reaction in message.reactions.all():
        group = groups.setdefault(reaction.emoji, {"emoji": reaction.emoji, "ids": []})
        group["ids"].append(reaction.user_id)
    return [
        {
            "emoji": group["emoji"],
            "count": len(group["ids"]),
            "user_ids": ",".join(str(i) for i in group["ids"]),
            "mine": user.id in group["ids"],
        }
        for group in groups.values()
    ]


@register.filter
def split_words(value: str) -> list[str]:
    """ "a b c" as ["a", "b", "c"] (the reaction palette's emoji)."""
    return value.split()
