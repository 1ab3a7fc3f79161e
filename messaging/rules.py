"""What a message may hold and how far it may be forwarded, for every kind of chat."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.conf import settings

from messaging.texts import is_forwarded_many_times
from whatsapp.errors import DomainError

# The ``client_id`` column of every kind of message (the key that makes a retried send safe).
CLIENT_ID_MAX_LENGTH = 64
# WhatsApp forwards to at most five chats at once, and a message forwarded many times to one.
MAX_FORWARD_RECEIVERS = 5
# Receipts name at most this many messages at once.
MAX_RECEIPT_IDS = 1000

T = TypeVar("T")


def check_content(content: str, *, has_media: bool) -> None:
    """Text of at most MESSAGE_MAX_LENGTH characters; blank only with attachments; no NUL."""
    limit = settings.MESSAGE_MAX_LENGTH
    if len(content) > limit:
        raise DomainError(
            f"Messages are limited to {limit} characters.", code="too_long", field="content"
        )
    if not has_media and not content.strip():
        raise DomainError("Type a message or attach a file.", code="blank", field="content")
    if "\x00" in content:  # JSON allows "\u0000"; PostgreSQL's text columns refuse it
        raise DomainError(
            "Messages cannot contain NUL characters.", code="invalid", field="content"
        )


def clean_client_id(client_id: Any) -> str | None:
    """None (no retry key) or a string of 1 to CLIENT_ID_MAX_LENGTH characters."""
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not client_id or len(client_id) > CLIENT_ID_MAX_LENGTH:
        raise DomainError(
            f"client_id must be a string of 1 to {CLIENT_ID_MAX_LENGTH} characters.",
            code="invalid",
            field="client_id",
        )
    return client_id


def forward_targets(message: Any, targets: Iterable[T], *, field: str, noun: str) -> list[T]:
    """The distinct ``targets`` (by id) of forwarding ``message`` (a 1:1 or group message).

    A removed message is not forwarded, nor to nobody, nor to more than five chats at a time
    (one for a message already forwarded many times). ``noun`` names a target ("chat").
    """
    if message.removed_at is not None or message.deleted_at is not None:
        raise DomainError("A deleted message cannot be forwarded.", code="removed")
    unique = list({target.id: target for target in targets}.values())
    if not unique:
        raise DomainError(f"Choose at least one {noun}.", code="invalid", field=field)
    limit = 1 if is_forwarded_many_times(message.forward_count) else MAX_FORWARD_RECEIVERS
    if len(unique) > limit:
        raise DomainError(
            f"This message can be forwarded to at most {limit} chat(s) at a time.",
            code="forward_limit",
            field=field,
        )
    return unique
