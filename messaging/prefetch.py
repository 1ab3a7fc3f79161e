"""Load what a message's JSON shows beside its own row, for a page of messages at once.

A message (1:1 or group) is written with its media, its reactions and the message it quotes
(:mod:`messaging.serializers`). :func:`with_details` fetches a queryset's messages with all
three: media and reactions in one query each per fetch, the quoted message joined, and whether
the quoted message has media as a column. :func:`load_details` does the same for messages
loaded otherwise (the inbox's last messages); :func:`mark_new` records that a message just
stored has no reactions yet, so rendering its push and ack costs no query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.db.models.query import ModelIterable

from attachments.prefetch import load_media
from whatsapp.compat.django import mark_prefetched, with_iterable_class


def _reaction_model(model: type[Model]) -> type[Model]:
    return model._meta.get_field("reactions").related_model


def load_reactions(messages: Sequence[Model]) -> None:
    """Load the reactions of messages (all of one model) with ONE query, oldest first, and
    record each message's as ``prefetch_related("reactions")`` would."""
    if not messages:
        return
    reaction = _reaction_model(type(messages[0]))
    found: dict[int, list[Model]] = defaultdict(list)
    for item in reaction.objects.filter(message_id__in=[m.pk for m in messages]).order_by(
        "reacted_at", "id"
    ):
        found[item.message_id].append(item)
    without = [m for m in messages if m.pk not in found]
    if without:
        mark_prefetched(without, "reactions", reaction.objects.none(), [])
    for message in messages:
        if message.pk in found:
            mark_prefetched([message], "reactions", reaction.objects.none(), found[message.pk])


def load_quoted(messages: Sequence[Model]) -> None:
    """Load the messages that ``messages`` quote (one query, only if any quotes), with the MIME
    type of each one's first attachment (``media_type``, None without)."""
    ids = {m.reply_to_id for m in messages if m.reply_to_id is not None}
    if not ids:
        return
    model = type(messages[0])
    quoted = model.objects.filter(id__in=ids).annotate(media_type=first_media_type(model, "pk"))
    by_id = {item.pk: item for item in quoted}
    for message in messages:
        if message.reply_to_id is not None:
            message.reply_to = by_id.get(message.reply_to_id)


def load_details(messages: Sequence[Model]) -> None:
    """Reactions and quoted messages of messages whose media is loaded already."""
    load_reactions(messages)
    load_quoted(messages)


def mark_new(*messages: Model) -> None:
    """Record on messages just stored that they have no reactions yet."""
    if messages:
        empty = _reaction_model(type(messages[0])).objects.none()
        mark_prefetched(messages, "reactions", empty, [])


def first_media_type(model: type[Model], ref: str) -> Subquery:
    """The MIME type of the first attachment of the message of ``model`` named by ``ref``
    (``OuterRef``), or None."""
    media = model._meta.get_field("media")  # the reverse side of Multimedia's key
    first = media.related_model.objects.filter(**{media.field.name: OuterRef(ref)})
    return Subquery(first.order_by("id").values("file_type")[:1])


class _WithDetails(ModelIterable):
    def __iter__(self):
        messages = list(super().__iter__())
        if messages:
            load_media(messages)
            load_reactions(messages)
            for message in messages:  # the quoted message came joined (select_related)
                quoted = message.reply_to if message.reply_to_id is not None else None
                if quoted is not None:
                    quoted.media_type = message.reply_media_type
        return iter(messages)


def with_details(queryset: QuerySet) -> QuerySet:
    """``queryset`` of messages (1:1 or group), each fetched with its media, reactions and
    quoted message: two queries per fetch beside the messages' own. Slices, ``first()`` and
    further filters keep it."""
    queryset = queryset.select_related("reply_to").annotate(
        reply_media_type=first_media_type(queryset.model, "reply_to")
    )
    return with_iterable_class(queryset, _WithDetails)
