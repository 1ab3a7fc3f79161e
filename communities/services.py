"""State changes of communities: create, rename, delete, groups in and out, announcements.

The creator is the community's admin (``Community.admins``). A community admin adds groups
they also administer (a group belongs to at most one community) and removes them; only
community admins post announcements.

Announcements go out live as ``announcement.new`` with one channel-layer call per group of the
community (``chatgroup.<id>``, which every open socket of every member already joined) plus the
admins' own channels. That is cheaper than a ``community.<id>`` channel group, which would need
its own subscription bookkeeping whenever a group joins or leaves the community or a member
joins or leaves one of its groups. A user in several of the community's groups therefore gets
the frame once per group: clients keep one per ``announcement_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from attachments.deletion import delete_media, remove_with_media
from attachments.storage import atomic_with_files, attach_media
from chats.models import Multimedia
from communities import selectors
from communities.models import Community, CommunityAnnouncement, CommunityGroup
from communities.selectors import community_admin_ids, community_group_ids
from communities.serializers import announcement_json
from groups import selectors as group_selectors
from groups.models import Group
from groups.services import clean_name, group_channel
from messaging.rules import check_content
from whatsapp import ratelimit, realtime
from whatsapp.errors import DomainError, Forbidden, NotFound

NAME_MAX_LENGTH = Community._meta.get_field("name").max_length
DESCRIPTION_MAX_LENGTH = 2048


def _require_admin(user: User, community: Community) -> None:
    """Community admins pass; other viewers get Forbidden, everyone else NotFound (who may see
    it is :func:`communities.selectors.community_for_member`'s to say)."""
    if not selectors.community_for_member(user, community.id).is_admin:
        raise Forbidden("Only community admins can do this.", code="not_community_admin")


def _clean_name(name: Any) -> str:
    return clean_name(name, noun="community", field="community_name", max_length=NAME_MAX_LENGTH)


def _clean_description(description: Any) -> str:
    description = description.strip() if isinstance(description, str) else ""
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            f"Descriptions are limited to {DESCRIPTION_MAX_LENGTH} characters.",
            code="too_long",
            field="description",
        )
    return description


def create_community(creator: User, *, name: str, description: str = "") -> Community:
    """Create a community administered by ``creator``."""
    name = _clean_name(name)
    description = _clean_description(description)
    with transaction.atomic():
        community = Community.objects.create(name=name, description=description, created_by=creator)
        community.admins.add(creator)
    return community


def update_community(
    user: User,
    *,
    community: Community,
    name: str | None = None,
    description: str | None = None,
) -> Community:
    """Rename the community or change its description (community admins only)."""
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if description is not None:
        changes["description"] = _clean_description(description)
    with transaction.atomic():
        _require_admin(user, community)
        if changes:
            Community.objects.filter(id=community.id).update(**changes)
            for field, value in changes.items():
                setattr(community, field, value)
    return community


def delete_community(user: User, *, community: Community) -> None:
    """Delete the community and its announcements; its groups stay, on their own again."""

    with transaction.atomic():
        _require_admin(user, community)
        delete_media(Multimedia.objects.filter(community_announcement__community_id=community.id))
        community.delete()


def add_community_group(user: User, *, community: Community, group: Group) -> CommunityGroup:
    """Add a group ``user`` administers to a community they administer."""
    with transaction.atomic():
        _require_admin(user, community)
        try:
            mine = group_selectors.group_for_member(user, group.id)
        except NotFound as exc:
            raise NotFound("No such group.", field="group_id") from exc
        if not mine.is_admin:
            raise Forbidden("Only admins of the group can add it to a community.")
        if CommunityGroup.objects.filter(group_id=group.id).exists():
            raise DomainError(
                "This group already belongs to a community.",
                code="already_in_community",
                field="group_id",
            )
        try:
            with transaction.atomic():
                return CommunityGroup.objects.create(community=community, group=group)
        except IntegrityError as exc:  # lost a race with another add of the same group
            raise DomainError(
                "This group already belongs to a community.",
                code="already_in_community",
                field="group_id",
            ) from exc


def remove_community_group(user: User, *, community: Community, group: Group) -> None:
    """Take a group out of the community (community admins only); the group itself stays."""
    with transaction.atomic():
        _require_admin(user, community)
        deleted, _ = CommunityGroup.objects.filter(
            community_id=community.id, group_id=group.id
        ).delete()
        if not deleted:
            raise NotFound("This group is not in the community.")


def post_announcement(
    sender: User, *, community: Community, content: str, files: Sequence[Any] = ()
) -> CommunityAnnouncement:
    """Post an announcement (community admins only) and push it to every member live.

    ``files`` are attached through :func:`attachments.storage.attach_media`; with files the content
    may be blank. It counts against the sender's MESSAGE_SEND_RATE, as every send does.
    """

    content = content or ""
    files = list(files or ())
    check_content(content, has_media=bool(files))
    _require_admin(sender, community)
    ratelimit.check_send(sender.id)  # an announcement counts as a message sent
    with atomic_with_files():
        announcement = CommunityAnnouncement.objects.create(
            community=community, sender=sender, content=content
        )
        if files:
            attach_media(files, announcement=announcement)
        frame = {"type": "announcement.new", "announcement": announcement_json(announcement)}
        for group_id in community_group_ids(community.id):
            realtime.publish_to_group(group_channel(group_id), frame)
        realtime.publish(community_admin_ids(community.id), frame)
    return announcement


def remove_announcements(staff: User, *, announcement_ids: Sequence[int]) -> int:
    """Remove announcements for everyone (staff moderation), deleting their media."""

    if not staff.is_staff:
        raise Forbidden("Only staff can remove announcements.")
    return remove_with_media(
        CommunityAnnouncement.objects.filter(id__in=list(announcement_ids)),
        media_of="community_announcement",
    )
