"""Reads of communities with the visibility rules applied.

A community is visible to its admins and to every member of any of its groups; anyone else
gets :class:`whatsapp.errors.NotFound`.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from attachments.prefetch import with_media
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from groups.models import Group, GroupMember
from groups.selectors import groups_administered_by
from whatsapp.errors import NotFound

CommunityAdmin = Community.admins.through


def _is_admin(user: User):
    return Exists(CommunityAdmin.objects.filter(community_id=OuterRef("pk"), user_id=user.id))


def _is_member(user: User):
    return Exists(
        CommunityGroup.objects.filter(
            community_id=OuterRef("pk"),
            group__memberships__user_id=user.id,
        )
    )


def communities_for(user: User) -> QuerySet[Community]:
    """The communities ``user`` administers or belongs to (through any of its groups), by name,
    annotated with ``is_admin`` and ``group_count``."""
    return (
        Community.objects.filter(Q(_is_admin(user)) | Q(_is_member(user)))
        .annotate(is_admin=_is_admin(user), group_count=Count("community_groups", distinct=True))
        .order_by("name", "id")
    )


def community_for_member(user: User, community_id: int) -> Community:
    """A community ``user`` may see; NotFound for every other id."""
    community = communities_for(user).filter(id=community_id).first()
    if community is None:
        raise NotFound("No such community.")
    return community


def community_groups(user: User, community: Community) -> QuerySet[CommunityGroup]:
    """The community's groups, oldest link first, each group annotated with ``member_count``
    and whether ``user`` is a member (``is_member``)."""
    member_count = (
        GroupMember.objects.filter(group_id=OuterRef("group_id"))
        .order_by()
        .values("group_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        CommunityGroup.objects.filter(community_id=community.id)
        .select_related("group")
        .annotate(
            member_count=Coalesce(Subquery(member_count[:1]), 0),
            is_member=Exists(
                GroupMember.objects.filter(group_id=OuterRef("group_id"), user_id=user.id)
            ),
        )
        .order_by("added_at", "id")
    )


def community_group(user: User, community: Community, group_id: int) -> CommunityGroup:
    link = community_groups(user, community).filter(group_id=group_id).first()
    if link is None:
        raise NotFound("This group is not in the community.")
    return link


def linkable_groups(user: User) -> QuerySet[Group]:
    """Groups ``user`` administers that belong to no community yet (they can be added)."""
    return groups_administered_by(user).filter(community_link__isnull=True)


def announcements(community: Community) -> QuerySet[CommunityAnnouncement]:
    """The community's announcements, newest first, sender and media loaded."""
    return with_media(
        CommunityAnnouncement.objects.filter(community_id=community.id)
        .select_related("sender")
        .order_by("-id")
    )


def community_group_ids(community_id: int) -> list[int]:
    return list(
        CommunityGroup.objects.filter(community_id=community_id).values_list("group_id", flat=True)
    )


def community_admin_ids(community_id: int) -> list[int]:
    return list(
        CommunityAdmin.objects.filter(community_id=community_id).values_list("user_id", flat=True)
    )
