"""Reads of accounts data, with the visibility rules applied."""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework.authtoken.models import Token

from accounts.models import Block, Contact, User
from accounts.phone import parse_phone_number
from whatsapp.db import Placeholders, column, table
from whatsapp.errors import NotFound
from whatsapp.ratelimit import Rate, check_rate


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


# --- who knows whom -----------------------------------------------------------------------------
#
# A user's profile (phone number, pictures, status) is shown only to the users who know them, so
# that nobody can turn user ids into a directory of phone numbers. The chats, calls and groups
# apps sit above accounts and own the other relations; each registers its own here from its
# AppConfig.ready() (as frame handlers are registered in whatsapp.frames).

# relation(viewer_id) -> a condition on User rows (an Exists over OuterRef("pk")): true for the
# users that this relation makes known to the viewer.
KnownRelation = Callable[[int], Exists]
KNOWN_RELATIONS: dict[str, KnownRelation] = {}


def known_relation(name: str) -> Callable[[KnownRelation], KnownRelation]:
    """Register a relation that makes a user known to a viewer (see :func:`known_to`)."""

    def register(relation: KnownRelation) -> KnownRelation:
        if name in KNOWN_RELATIONS:
            raise RuntimeError(f"known relation {name!r} registered twice")
        KNOWN_RELATIONS[name] = relation
        return relation

    return register


def known_to(viewer_id: int) -> Q:
    """Match the users that the user ``viewer_id`` knows.

    The viewer themselves; anyone either of the two has as a contact (a contact is added by
    phone number, or by id only when already known); anyone the viewer blocked (blocking needs
    the same); and the registered relations: who wrote to or called the viewer (they showed
    themselves, as a call or message from an unknown number shows it) and who shares a group
    with them. Writing to or calling a user does not make *them* known: that only needs their
    id. Communities do not count: their members' numbers stay hidden from one another, as on
    WhatsApp (one invite link would otherwise open every group of the community).

    Each relation is one indexed EXISTS, so a check costs one query.
    """
    condition = (
        Q(id=viewer_id)
        | Q(Exists(Contact.objects.filter(user_id=viewer_id, contact_user_id=OuterRef("pk"))))
        | Q(Exists(Contact.objects.filter(user_id=OuterRef("pk"), contact_user_id=viewer_id)))
        | Q(Exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=OuterRef("pk"))))
    )
    for relation in KNOWN_RELATIONS.values():
        condition |= Q(relation(viewer_id))
    return condition


def users_known_to(viewer: User) -> QuerySet[User]:
    """The active users ``viewer`` knows (:func:`known_to`)."""
    return active_users().filter(known_to(viewer.id))


def known_user_ids(viewer: User, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` that ``viewer`` knows, active or not, in one query."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(User.objects.filter(known_to(viewer.id), id__in=ids).values_list("id", flat=True))


def visible_user(viewer: User, user_id: int) -> User:
    """Another user's profile, if ``viewer`` knows them (:func:`known_to`); else NotFound.

    Deactivated accounts are NotFound too. There is no directory by id: a stranger's id
    answers exactly as one nobody has.
    """
    user = users_known_to(viewer).filter(id=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def phone_lookup_rate() -> Rate:
    """How many phone numbers one user may look up per window (read when used)."""
    return Rate.parse(settings.PHONE_LOOKUP_RATE)


def users_with_phone_number(viewer: User, raw: str) -> QuerySet[User]:
    """Active users whose phone number is ``raw`` once normalised (zero or one).

    Each well-formed lookup counts against ``viewer``'s PHONE_LOOKUP_RATE: whether a number is
    in use is what a directory is built from. Raises FieldErrors (on ``phone_number``) when
    ``raw`` is not a valid number (not counted), RateLimited beyond the rate.
    """
    phone_number = parse_phone_number(raw)
    check_rate("phone_lookup", viewer.id, phone_lookup_rate(), what="phone number lookups")
    return active_users().filter(phone_number=phone_number)


def user_by_phone_number(viewer: User, raw: str) -> User | None:
    """The active user with this phone number, or None (a lookup by ``viewer``, as above)."""
    return users_with_phone_number(viewer, raw).first()
