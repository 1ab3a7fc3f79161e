"""Reads of attachments with the visibility rule: only who may see the owner gets the file."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from chats.models import Multimedia
from communities.models import Community, CommunityGroup
from groups.models import GroupMember
from whatsapp.errors import NotFound


def visible_multimedia_q(user) -> Q:
    """Match the Multimedia rows ``user`` may see.

    Those of a 1:1 message they sent or received, of a group message in a group they are a
    member of now, or of an announcement of a community they administer or belong to
    (through any of its groups). Media of messages removed by staff is hidden from everyone.
    """
    group_member = GroupMember.objects.filter(
        group_id=OuterRef("group_message__group_id"), user=user
    )
    community_member = CommunityGroup.objects.filter(
        community_id=OuterRef("community_announcement__community_id"),
        group__memberships__user=user,
    )
    community_admin = Community.admins.through.objects.filter(
        community_id=OuterRef("community_announcement__community_id"), user=user
    )
    return (
        (
            Q(message__isnull=False, message__removed_at__isnull=True)
            & (Q(message__sender=user) | Q(message__receiver=user))
        )
        | (
            Q(group_message__isnull=False, group_message__removed_at__isnull=True)
            & Q(Exists(group_member))
        )
        | (
            Q(community_announcement__isnull=False, community_announcement__removed_at__isnull=True)
            & (Q(Exists(community_member)) | Q(Exists(community_admin)))
        )
    )


def visible_media(user) -> QuerySet[Multimedia]:
    """All Multimedia ``user`` may download."""
    return Multimedia.objects.filter(visible_multimedia_q(user))


def visible_multimedia(user, multimedia_id: int) -> Multimedia:
    """The Multimedia row if ``user`` may see what it is attached to; NotFound otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    media = visible_media(user).filter(id=multimedia_id).first()
    if media is None:
        raise NotFound()
    return media
