"""What a message or an announcement shows in place of its content or above it, and when.

The one source of these words for every face: Python imports them from here, templates through
``{% message_text %}`` (chats/templatetags/chat_tags.py), and the pages' scripts read
:data:`PAGE_TEXTS` from the ``message-texts`` JSON of every signed-in page (templates/shell.html).
"""

MESSAGE_REMOVED = "This message was removed"
MESSAGE_DELETED = "This message was deleted"
MESSAGE_DELETED_BY_ME = "You deleted this message"
EDITED = "Edited"
ANNOUNCEMENT_DELETED = "This announcement was deleted"
FORWARDED = "Forwarded"
FORWARDED_MANY = "Forwarded many times"

# A message behind this many forwards shows FORWARDED_MANY and, as on WhatsApp, is forwarded to
# one chat at a time.
FORWARDED_MANY_TIMES = 5

# A reply shows at most this many characters of the message it quotes.
QUOTE_LENGTH = 200

# The texts by the names templates and scripts use.
PAGE_TEXTS = {
    "message_removed": MESSAGE_REMOVED,
    "message_deleted": MESSAGE_DELETED,
    "message_deleted_by_me": MESSAGE_DELETED_BY_ME,
    "edited": EDITED,
    # What a reply's quote of a message with media and no text shows, by the media's kind.
    "quote_image": "Photo",
    "quote_video": "Video",
    "quote_audio": "Voice message",
    "quote_document": "Document",
    "announcement_deleted": ANNOUNCEMENT_DELETED,
    "forwarded": FORWARDED,
    "forwarded_many": FORWARDED_MANY,
}


def is_forwarded_many_times(forward_count: int) -> bool:
    """Whether a message with ``forward_count`` forwards behind it was forwarded many times."""
    return forward_count >= FORWARDED_MANY_TIMES
