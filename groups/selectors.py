"""Reads of groups with the visibility rules applied.

A group and everything in it is visible only to its current members; anyone else (strangers,
and people who left or were removed) gets :class:`whatsapp.errors.NotFound`, never a hint that
it exists. A member sees the messages sent since they (last) joined, as on WhatsApp.
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery

from accounts.models import User
from accounts.selectors import active_users, contacts_of, known_relation
from groups.models import Group, GroupMember, GroupMessage, GroupMessageReceipt
from messaging.prefetch import with_details
from messaging.selectors import for_viewer, not_hidden
from whatsapp.errors import Forbidden, NotFound


@known_relation("group_member")
def fellow_member(viewer_id: int) -> Exists:
    """Members of a group the viewer is in are known to them (accounts.selectors.known_to)."""
    mine = GroupMember.objects.filter(user_id=viewer_id).values("group_id")
    return Exists(GroupMember.objects.filter(user_id=OuterRef("pk"), group_id__in=mine))


def groups_for(user: User) -> QuerySet[Group]:
    """The groups ``user`` is a member of, annotated with ``member_count``, ``is_admin`` and
    ``joined_at`` (when ``user`` joined)."""
    mine = GroupMember.objects.filter(group_id=OuterRef("pk"), user_id=user.id)
    return (
        Group.objects.filter(Exists(mine))
        .annotate(
            member_count=Count("memberships", distinct=True),
            is_admin=Exists(mine.filter(is_admin=True)),
            joined_at=Subquery(mine.values("added_at")[:1]),
        )
        .order_by("name", "id")
    )


def group_for_member(user: User, group_id: int) -> Group:
    """One group ``user`` is a member of; NotFound for every other id."""
    group = groups_for(user).filter(id=group_id).first()
    if group is None:
        raise NotFound("No such group.")
    return group


def membership_of(user: User, group_id: int) -> GroupMember:
    """``user``'s membership of the group; NotFound when they are not a member (now)."""
    membership = GroupMember.objects.filter(group_id=group_id, user_id=user.id).first()
    if membership is None:
        raise NotFound("No such group.")
    return membership


def groups_administered_by(user: User) -> QuerySet[Group]:
    return groups_for(user).filter(is_admin=True)


def group_members(group: Group) -> QuerySet[GroupMember]:
    """The members, longest-standing first, with their users loaded."""
    return (
        GroupMember.objects.filter(group_id=group.id)
        .select_related("user")
        .order_by("added_at", "id")
    )


def group_member(group: Group, user_id: int) -> GroupMember:
    """One member of ``group`` (from :func:`group_for_member`), user loaded; NotFound for
    anyone else."""
    membership = group_members(group).filter(user_id=user_id).first()
    if membership is None:
        raise NotFound("Not a member of this group.")
    return membership


def member_groups_by_ids(user: User, ids: list[int], *, field: str) -> list[Group]:
    """The groups with these ids, all of them ``user``'s (:func:`groups_for`); NotFound (on
    ``field``) if any is not."""
    unique = set(ids)
    groups = list(groups_for(user).filter(id__in=unique))
    if len(groups) != len(unique):
        raise NotFound("No such group.", field=field)
    return groups


def addable_contacts(user: User, group: Group | None = None) -> list[User]:
    """``user``'s active contacts they have not blocked (whom they may put in a group), less
    the members of ``group`` if given (the add-member form's choices)."""
    contacts = contacts_of(user)
    if group is not None:
        members = GroupMember.objects.filter(group_id=group.id).values("user_id")
        contacts = contacts.exclude(contact_user_id__in=members)
    return [
        contact.contact_user
        for contact in contacts
        if not contact.is_blocked and contact.contact_user.is_active
    ]


def users_by_ids(ids: list[int], *, field: str) -> list[User]:
    """The active users with these ids, in one query; NotFound (on ``field``) if any is missing."""
    unique = set(ids)
    users = list(active_users().filter(id__in=unique))
    if len(users) != len(unique):
        raise NotFound("No such user.", field=field)
    return users


def _visible_messages(user: User) -> QuerySet[GroupMessage]:
    """Messages of the groups ``user`` is in now, sent since they joined."""
    return GroupMessage.objects.filter(
        group__memberships__user_id=user.id,
        sent_at__gte=F("group__memberships__added_at"),
    )


def group_history(user: User, group: Group) -> QuerySet[GroupMessage]:
    """The group's messages ``user`` may read, newest first, sender and media loaded.

    ``group`` comes from :func:`group_for_member` (its ``joined_at`` bounds the history).
    """
    joined_at = getattr(group, "joined_at", None)
    if joined_at is None:
        joined_at = group_for_member(user, group.id).joined_at
    return with_details(
        for_viewer(GroupMessage.objects.filter(group_id=group.id, sent_at__gte=joined_at), user)
        .select_related("sender")
        .order_by("-id")
    )


def _one_visible(user: User, **lookup: int) -> GroupMessage:
    message = with_details(
        for_viewer(_visible_messages(user), user).filter(**lookup).select_related("sender")
    ).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def visible_group_message(user: User, group_id: int, group_message_id: int) -> GroupMessage:
    """One message of a group ``user`` is in, sent since they joined; NotFound otherwise."""
    return _one_visible(user, group_id=group_id, id=group_message_id)


def is_group_message(group_id: int, group_message_id: int) -> bool:
    """Whether the group has a message of that id (who may see it is another question)."""
    return GroupMessage.objects.filter(group_id=group_id, id=group_message_id).exists()


def group_message_for(user: User, group_message_id: int) -> GroupMessage:
    """One group message ``user`` may see (in a group they are in, sent since they joined),
    by its id alone; NotFound otherwise."""
    return _one_visible(user, id=group_message_id)


def group_messages_after(user: User, after_id: int) -> QuerySet[GroupMessage]:
    """Every group message ``user`` may see with an id above ``after_id``, oldest first.

    Only groups they are a member of now, and only what was sent since they joined.
    """
    return with_details(
        not_hidden(_visible_messages(user), user)
        .filter(id__gt=after_id)
        .select_related("sender")
        .order_by("id")
    )


def undelivered_group_messages(user: User, after_id: int = 0) -> QuerySet[GroupMessage]:
    """Group messages waiting for delivery to ``user`` (their receipt has no delivered_at)."""
    pending = GroupMessageReceipt.objects.filter(
        group_message_id=OuterRef("pk"), user_id=user.id, delivered_at__isnull=True
    )
    return with_details(
        _visible_messages(user)
        .filter(Exists(pending), id__gt=after_id)
        .select_related("sender")
        .order_by("id")
    )


def message_receipts(user: User, message: GroupMessage) -> QuerySet[GroupMessageReceipt]:
    """Per-member receipts of ``user``'s own message ("Message info"); Forbidden for others'.

    ``message`` comes from :func:`visible_group_message`. Members who left before receiving
    or reading it are not listed.
    """
    if message.sender_id != user.id:
        raise Forbidden("Only the sender can see who received and read a message.")
    return (
        GroupMessageReceipt.objects.filter(group_message_id=message.id)
        .select_related("user")
        .order_by(F("read_at").desc(nulls_last=True), F("delivered_at").desc(nulls_last=True), "id")
    )


def member_group_ids(user_id: int) -> list[int]:
    """Ids of the groups a user is a member of (which channel groups their sockets join)."""
    return list(GroupMember.objects.filter(user_id=user_id).values_list("group_id", flat=True))
