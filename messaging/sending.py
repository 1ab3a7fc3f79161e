"""The one send pipeline: 1:1 and group messages, one send or a batch, from every face.

The socket, REST and the pages all send through :func:`send_many` (a lone send is a batch of
one) and forward through :func:`forward`; what differs between kinds of chat is a
:class:`ChatKind` (``chats.services.ONE_TO_ONE``, ``groups.services.IN_GROUP``). In order:

1. Rate: every send counts against its sender's ``MESSAGE_SEND_RATE``, one cache round trip
   for the batch (:func:`whatsapp.ratelimit.count_sends`); over it, ``rate_limited`` and
   nothing is stored.
2. Checks: the kind's access rule for the whole batch at once (:meth:`ChatKind.refusals`: one
   query), then content and ``client_id`` (:mod:`messaging.rules`).
3. Storage: plainly new text messages go in with ONE ``INSERT`` for the batch; a send with
   files, a refused one and a repeat within the batch go alone (:func:`_send_alone`), which
   answers them exactly as a lone send is answered.
4. Retries: a ``client_id`` the sender used before is caught by the unique (sender, client_id)
   constraint, not by a lookup first (one query less on every send, one more on a retry). The
   stored message is pushed again and returned, marked ``replayed``: a sender retries when it
   got no ack, which may mean the server stopped between storing and pushing. A ``client_id``
   reused for a different message is a ``client_id_conflict``.
5. Pushes go out after the commit (:func:`whatsapp.realtime.publish`): the socket that sent a
   message gets its ack from the consumer instead (``origin_channel``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, NamedTuple

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model, prefetch_related_objects

from accounts.models import User
from attachments.prefetch import mark_without_media
from attachments.storage import atomic_with_files, attach_media, forward_media
from messaging.prefetch import first_media_type, mark_new
from messaging.rules import check_content, clean_client_id, forward_targets
from whatsapp import ratelimit
from whatsapp.db import Batch, insert_many
from whatsapp.errors import Conflict, DomainError


class Send(NamedTuple):
    """One message to send: to ``chat_id`` (the receiver's user id, or the group's id)."""

    sender: User
    chat_id: int
    content: str
    client_id: str | None = None
    origin_channel: str | None = None
    files: Sequence[Any] = ()
    # The message of the same chat this one quotes (a reply), by id.
    reply_to_id: int | None = None


class ChatKind:
    """What one kind of chat decides in the pipeline; subclassed once per kind."""

    model: type[Model]
    # The message's field naming its chat ("receiver_id", "group_id").
    chat_field: str
    # The keyword of media.attach_media / forward_media naming the message ("message", ...).
    media_owner: str
    # The send's field naming the message it quotes ("reply_to_message_id", ...).
    reply_field: str
    # The key of a message's id in frames ("message_id", "group_message_id").
    id_key: str
    # Whether a message needs rows beside it (receipts): its INSERT then runs in a transaction.
    writes_more: bool = False
    # Whether a retry refused by the access rule is still answered with the stored message.
    replays_refused: bool = True

    def refusals(self, sends: Sequence[Send]) -> list[DomainError | None]:
        """Per send, why its sender may not send into its chat (now), or None; one query."""
        raise NotImplementedError

    def new_row(self, send: Send, **fields: Any) -> Model:
        """The unsaved message of ``send``."""
        raise NotImplementedError

    def may_quote(self, send: Send, quoted: Model) -> bool:
        """Whether ``send``'s sender may quote ``quoted`` in ``send``'s chat: a message of the
        same chat that they may see."""
        raise NotImplementedError

    def after_insert(self, rows: Sequence[Model]) -> None:
        """Write what goes beside newly stored messages (in their transaction)."""

    def publish(self, rows: Sequence[Model], *, origin_channel: str | None, ring: bool) -> None:
        """Push new (or replayed) messages: to the whole chat if ``ring``, else the sender."""
        raise NotImplementedError

    def visible(self, user: User, message_id: int) -> Model:
        """The message ``user`` may see now, with its details and ``starred``; NotFound."""
        raise NotImplementedError

    def publish_updated(self, message: Model) -> None:
        """Push the whole message to every participant (``*.updated``) after the commit."""
        raise NotImplementedError

    def rings_again(self, existing: Model) -> bool:
        """Whether a retry of ``existing`` pushes it to the rest of the chat again."""
        return existing.delivered_at is None


def send_many(kind: ChatKind, sends: Sequence[Send]) -> list[Model | DomainError | DatabaseError]:
    """Send each of ``sends``; per send the stored message (``replayed`` set) or the error."""
    results: list[Any] = [None] * len(sends)
    waits = ratelimit.count_sends([send.sender.id for send in sends])
    allowed = []
    for i, wait in enumerate(waits):
        if wait is None:
            allowed.append(i)
        else:
            results[i] = ratelimit.refusal(wait)
    refusals: dict[int, DomainError | None] = dict(
        zip(allowed, kind.refusals([sends[i] for i in allowed]) if allowed else [], strict=True)
    )
    quotes = _quotes(kind, sends, allowed, refusals)
    fresh: dict[tuple[int, str] | int, tuple[int, Model]] = {}
    alone: list[int] = []
    for i in allowed:
        send = sends[i]
        if refusals[i] is not None or send.files or not _plainly_valid(send):
            alone.append(i)
            continue
        key = i if send.client_id is None else (send.sender.id, send.client_id)
        if key in fresh:  # the same send twice in one batch: the second is its retry
            alone.append(i)
        else:
            fresh[key] = (i, kind.new_row(send, reply_to=quotes.get(i)))
    if fresh:
        alone += _store_fresh(kind, fresh, sends, results)
    for i in sorted(alone):
        try:
            results[i] = _send_alone(kind, sends[i], refusals[i], quotes.get(i))
        except (DomainError, DatabaseError) as exc:
            results[i] = exc
    return results


def _quotes(
    kind: ChatKind, sends: Sequence[Send], allowed: list[int], refusals: dict
) -> dict[int, Model]:
    """The messages the batch's replies quote, by send (one query, none without replies); a
    reply to a message its sender may not quote there gets its refusal instead."""
    replies = [i for i in allowed if sends[i].reply_to_id is not None and refusals[i] is None]
    if not replies:
        return {}
    ids = {sends[i].reply_to_id for i in replies}
    quoted_rows = kind.model.objects.filter(id__in=ids).annotate(
        media_type=first_media_type(kind.model, "pk")
    )
    found = {item.pk: item for item in quoted_rows}
    quotes = {}
    for i in replies:
        quoted = found.get(sends[i].reply_to_id)
        if quoted is None or not kind.may_quote(sends[i], quoted):
            refusals[i] = DomainError(
                "You can only reply to a message of this chat.",
                code="invalid",
                field=kind.reply_field,
            )
        else:
            quotes[i] = quoted
    return quotes


def send_one(kind: ChatKind, send: Send) -> Model:
    """:func:`send_many` of one send: the stored message, or its error raised."""
    result = send_many(kind, [send])[0]
    if isinstance(result, Exception):
        raise result
    return result


def socket_batch(
    send_many_of_kind: Callable[[list[tuple]], list[Any]], writer: Callable[[Model], dict]
) -> Batch:
    """The consumer's batch of one kind's socket sends: every socket of the process submits
    ``(sender, chat_id, content, client_id, origin_channel)``; they are stored together while
    the previous batches are written, and each gets its message as ``writer`` renders it for
    the ack (or its error raised)."""

    def run(sends: list[tuple]) -> list[dict | Exception]:
        return [
            result if isinstance(result, Exception) else writer(result)
            for result in send_many_of_kind(sends)
        ]

    return Batch(run, window=0, concurrency=2)


def _plainly_valid(send: Send) -> bool:
    try:
        check_content(send.content, has_media=False)
        clean_client_id(send.client_id)
    except DomainError:
        return False
    return True


def _store_fresh(
    kind: ChatKind, fresh: dict[Any, tuple[int, Model]], sends: Sequence[Send], results: list
) -> list[int]:
    """Store the new messages of a batch together; return the sends left to go alone.

    Retries among them (a client_id stored before) make the INSERT fail: those go alone and
    the rest are stored together again; if that fails too (a value the database refused),
    every one goes alone, where one send's failure is its own.
    """
    try:
        _insert(kind, fresh.values(), sends, results)
        return []
    except IntegrityError:
        keys = [key for key in fresh if isinstance(key, tuple)]
        reused = set(
            kind.model.objects.filter(
                sender_id__in={sender_id for sender_id, _ in keys},
                client_id__in={client_id for _, client_id in keys},
            ).values_list("sender_id", "client_id")
        )
        alone = [i for key, (i, _) in fresh.items() if key in reused]
        rest = [item for key, item in fresh.items() if key not in reused]
        try:
            _insert(kind, rest, sends, results)
        except DatabaseError:
            alone += [i for i, _ in rest]
        return alone
    except DatabaseError:
        return [i for i, _ in fresh.values()]


def _insert(kind: ChatKind, fresh, sends: Sequence[Send], results: list) -> None:
    """One INSERT for the batch's new messages, then what goes beside them, then the pushes."""
    fresh = list(fresh)
    if not fresh:
        return
    rows = [row for _, row in fresh]
    # Without rows beside them one INSERT is the whole write: in autocommit a transaction of
    # its own (no BEGIN and COMMIT round trips); in a caller's transaction a savepoint lets it
    # fail alone.
    atomic = kind.writes_more or transaction.get_connection().in_atomic_block
    with transaction.atomic() if atomic else nullcontext():
        insert_many(rows)
        kind.after_insert(rows)
        mark_without_media(*rows)
        mark_new(*rows)
        for i, row in fresh:
            row.replayed = False
            kind.publish([row], origin_channel=sends[i].origin_channel, ring=True)
            results[i] = row


def _send_alone(
    kind: ChatKind, send: Send, refusal: DomainError | None, quoted: Model | None
) -> Model:
    """One send (with files, refused, or a repeat): stored, or the stored one replayed."""
    client_id = clean_client_id(send.client_id)
    try:
        check_content(send.content or "", has_media=bool(send.files))
        if refusal is not None:
            raise refusal
    except DomainError as exc:
        # A retry of a message stored before (say, before a block) is answered with it.
        existing = _stored(kind, send.sender, client_id)
        if existing is None or (exc is refusal and not kind.replays_refused):
            raise
        return _replay(kind, existing, send, ring=False)
    if send.files or kind.writes_more or transaction.get_connection().in_atomic_block:
        guard = atomic_with_files()
    else:
        guard = nullcontext()
    try:
        with guard:
            row = kind.new_row(send, reply_to=quoted)
            row.save(force_insert=True)
            kind.after_insert([row])
            if send.files:
                attach_media(list(send.files), **{kind.media_owner: row})
                prefetch_related_objects([row], "media")
            else:
                mark_without_media(row)
            mark_new(row)
            kind.publish([row], origin_channel=send.origin_channel, ring=True)
    except IntegrityError:
        existing = _stored(kind, send.sender, client_id)
        if existing is None:
            raise
        return _replay(kind, existing, send, ring=kind.rings_again(existing))
    row.replayed = False
    return row


def _stored(kind: ChatKind, sender: User, client_id: str | None) -> Model | None:
    if client_id is None:
        return None
    return kind.model.objects.filter(sender_id=sender.id, client_id=client_id).first()


def _replay(kind: ChatKind, existing: Model, send: Send, *, ring: bool) -> Model:
    """The stored message for a retried send; a client_id reused for another message is refused.

    Only while ``ring`` does the rest of the chat get it again: an old ``client_id`` sent again
    must not push an old message into a chat that has since blocked its sender or that every
    member already has; otherwise the sender's own sockets alone get it.
    """
    if getattr(existing, kind.chat_field) != send.chat_id or existing.content != (
        send.content or ""
    ):
        raise Conflict(
            "This client_id was already used for a different message.",
            code="client_id_conflict",
            field="client_id",
        )
    prefetch_related_objects([existing], "media", "reactions")
    existing.replayed = True
    if existing.removed_at is None:
        kind.publish([existing], origin_channel=send.origin_channel, ring=ring)
    return existing


def forward(
    kind: ChatKind, sender: User, message: Model, chats: Sequence[Any], *, field: str, noun: str
) -> list[Model]:
    """Forward ``message`` (one ``sender`` may see) into ``chats``, media too, all or nothing.

    The copies point at ``message`` and count the forwards behind it; one counts as a send
    against the rate. A message behind five or more shows "Forwarded many times" and, as on
    WhatsApp, is forwarded to one chat at a time (:func:`messaging.rules.forward_targets`).
    """
    ratelimit.check_send(sender.id)
    targets = forward_targets(message, chats, field=field, noun=noun)
    sends = [Send(sender, target.id, message.content) for target in targets]
    for refusal in kind.refusals(sends):
        if refusal is not None:
            raise refusal
    prefetch_related_objects([message], "media")
    copies = []
    with atomic_with_files():
        for send in sends:
            copy = kind.new_row(
                send, forwarded_from=message, forward_count=message.forward_count + 1
            )
            copy.save(force_insert=True)
            kind.after_insert([copy])
            forward_media(message, **{kind.media_owner: copy})
            copies.append(copy)
        prefetch_related_objects(copies, "media")
        mark_new(*copies)
        kind.publish(copies, origin_channel=None, ring=True)
    return copies
