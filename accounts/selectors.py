"""Reads of accounts data, with the visibility rules applied."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework.authtoken.models import Token

from accounts.models import Block, Contact, User
from accounts.phone import normalize_phone_number
from whatsapp.db import Placeholders, column, table
from whatsapp.errors import NotFound


def blocks_between(a_id: Any, b_id: Any) -> QuerySet[Block]:
    """The blocks either user made of the other (either id may be an ``OuterRef``)."""
    return Block.objects.filter(
        Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    )


def is_blocked_between(a_id: int, b_id: int) -> bool:
    """True if either user blocked the other."""
    return blocks_between(a_id, b_id).exists()


def message_targets(pairs: set[tuple[int, int]]) -> tuple[set[int], set[frozenset[int]]]:
    """For (sender id, receiver id) pairs: the receivers that are active users, and the pairs
    blocked either way round. ONE query for a whole batch of sends, written by hand: the ORM
    took longer to build its two queries than the database to answer them (docs/performance.md,
    item 20).
    """
    receivers = sorted({receiver for _, receiver in pairs})
    everyone = sorted({user_id for pair in pairs for user_id in pair})
    marks = Placeholders(connection)
    user_id, blocker, blocked = (
        column(User, "id"),
        column(Block, "blocker"),
        column(Block, "blocked"),
    )
    sql = (
        f"SELECT {user_id}, NULL FROM {table(User)}"
        f" WHERE {column(User, 'is_active')} AND {user_id} IN ({marks.take(len(receivers))})"
        f" UNION ALL SELECT {blocker}, {blocked} FROM {table(Block)}"
        f" WHERE {blocker} IN ({marks.take(len(everyone))})"
        f" AND {blocked} IN ({marks.take(len(everyone))})"
    )
    with marks.cursor() as cursor:
        cursor.execute(sql, [*receivers, *everyone, *everyone])
        rows = cursor.fetchall()
    active = {first for first, second in rows if second is None}
    wanted = {frozenset(pair) for pair in pairs}
    return active, {frozenset(row) for row in rows if row[1] is not None} & wanted


def user_for_token(key: str) -> User | None:
    """The user whose API token is ``key``, active or not; None if no token has that key.

    One raw query: building ``Token.objects.select_related("user")`` and its two instances took
    0.6 ms of CPU on every API request and socket handshake, this 0.25 ms (docs/performance.md,
    item 38).
    """
    users, tokens = table(User), table(Token)
    sql = (
        f"SELECT {users}.* FROM {users} JOIN {tokens}"
        f" ON {tokens}.{column(Token, 'user')} = {users}.{column(User, 'id')}"
        f" WHERE {tokens}.{column(Token, 'key')} = %s"
    )
    return next(iter(User.objects.raw(sql, [key])), None)


def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def blocked_user_ids(user_id: int) -> set[int]:
    """Ids of users on either side of a block with ``user_id``."""
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair if other != user_id}


def ids_who_blocked(user_id: int) -> set[int]:
    """Ids of the users who blocked ``user_id`` (they hide their status from them)."""
    return set(Block.objects.filter(blocked_id=user_id).values_list("blocker_id", flat=True))


def contacts_of(user: User) -> QuerySet[Contact]:
    """``user``'s contacts by name, annotated ``is_blocked`` and ``has_blocked_me``."""
    return (
        Contact.objects.filter(user=user)
        .select_related("contact_user")
        .annotate(
            is_blocked=Exists(
                Block.objects.filter(blocker_id=user.id, blocked_id=OuterRef("contact_user_id"))
            ),
            has_blocked_me=Exists(
                Block.objects.filter(blocker_id=OuterRef("contact_user_id"), blocked_id=user.id)
            ),
        )
        .order_by("contact_user__name", "id")
    )


def contact_for(user: User, contact_id: int) -> Contact:
    """One of ``user``'s own contacts; anyone else's is NotFound."""
    contact = (
        Contact.objects.select_related("contact_user").filter(id=contact_id, user=user).first()
    )
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def contact_user_ids(user: User) -> set[int]:
    return set(Contact.objects.filter(user=user).values_list("contact_user_id", flat=True))


def blocks_by(user: User) -> QuerySet[Block]:
    """The blocks ``user`` made, newest first, with the blocked users loaded."""
    return (
        Block.objects.filter(blocker=user).select_related("blocked").order_by("-created_at", "-id")
    )


def block_by(user: User, blocked_id: int) -> Block:
    """``user``'s block on ``blocked_id``; NotFound when there is none."""
    block = (
        Block.objects.select_related("blocked").filter(blocker=user, blocked_id=blocked_id).first()
    )
    if block is None:
        raise NotFound("You have not blocked this user.")
    return block


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def visible_user(viewer: User, user_id: int) -> User:
    """Another user's public profile: any active user; deactivated accounts are NotFound."""
    user = active_users().filter(id=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def users_with_phone_number(raw: str) -> QuerySet[User]:
    """Active users whose phone number is ``raw`` once normalised (zero or one).

    Raises ValidationError (field ``phone_number``) when ``raw`` is not a valid number.
    """
    try:
        phone_number = normalize_phone_number(raw)
    except ValidationError as exc:
        raise ValidationError({"phone_number": exc.messages}) from exc
    return active_users().filter(phone_number=phone_number)


def user_by_phone_number(raw: str) -> User | None:
    """The active user with this phone number, or None; ValidationError if it is malformed."""
    return users_with_phone_number(raw).first()
