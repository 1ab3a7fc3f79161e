"""Load what a message's JSON shows beside its own row, for a page of messages at once.

A message (1:1 or group) is written with its media, its reactions and the message it quotes
(:mod:`messaging.serializers`), and REST says whether the caller starred it.
:func:`with_details` fetches a queryset's messages with all of it: media and reactions in one
query each per fetch, the quoted messages in one more when the page has replies, and the
caller's stars in one more when the queryset came through
:func:`messaging.selectors.for_viewer`. The queries are written out, as
:func:`attachments.prefetch.load_media`'s is: the ORM took longer to build them than the
database to answer. :func:`load_details` does the same for messages loaded otherwise (the
inbox's last messages); :func:`mark_new` records that a message just stored has no reactions
yet, so rendering its push and ack costs no query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.db.models.query import ModelIterable

from attachments.prefetch import load_media
from whatsapp.compat.django import mark_prefetched, with_iterable_class
from whatsapp.db import column, table


def _reaction_model(model: type[Model]) -> type[Model]:
    return model._meta.get_field("reactions").related_model


def load_reactions(messages: Sequence[Model]) -> None:
    """Load the reactions of messages (all of one model) with ONE query, oldest first, and
    record each message's as ``prefetch_related("reactions")`` would."""
    if not messages:
        return
    reaction = _reaction_model(type(messages[0]))
    ids = [m.pk for m in messages]
    sql = (
        f"SELECT * FROM {table(reaction)}"
        f" WHERE {column(reaction, 'message')} IN ({', '.join(['%s'] * len(ids))})"
        f" ORDER BY {column(reaction, 'reacted_at')}, {column(reaction, 'id')}"
    )
    found: dict[int, list[Model]] = defaultdict(list)
    for item in reaction.objects.raw(sql, ids):
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


def load_stars(messages: Sequence[Model], user_id: int) -> None:
    """Set ``starred`` on messages (all of one model): whether ``user_id`` starred each."""
    star = type(messages[0])._meta.get_field("stars").related_model
    ids = [m.pk for m in messages]
    sql = (
        f"SELECT {column(star, 'message')} FROM {table(star)}"
        f" WHERE {column(star, 'user')} = %s"
        f" AND {column(star, 'message')} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, *ids])
        starred = {message_id for (message_id,) in cursor.fetchall()}
    for message in messages:
        message.starred = message.pk in starred


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
            load_details(messages)
            viewer = getattr(messages[0], "stars_of", None)  # messaging.selectors.for_viewer
            if viewer is not None:
                load_stars(messages, viewer)
        return iter(messages)


def with_details(queryset: QuerySet) -> QuerySet:
    """``queryset`` of messages (1:1 or group), each fetched with its media, reactions, quoted
    message and (through :func:`messaging.selectors.for_viewer`) ``starred``: two to four
    queries per fetch beside the messages' own. Slices, ``first()`` and further filters keep
    it."""
    return with_iterable_class(queryset, _WithDetails)
