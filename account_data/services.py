"""Account-wide work that spans every app: a user's data export and erasing an account.

This package sits above the apps (accounts, chats, groups, communities, stories, calls), so
accounts itself imports none of the apps built on it.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Block, Contact, User
from attachments.serializers import media_item_json
from calls.models import Call
from calls.serializers import call_payload
from chats.models import Message, MessageHide, MessageReaction, MessageStar, Multimedia
from communities.models import Community
from groups import services as group_services
from groups.models import (
    GroupMember,
    GroupMessage,
    GroupMessageHide,
    GroupMessageReaction,
    GroupMessageStar,
)
from messaging.prefetch import with_details
from messaging.serializers import group_message_for_me_json, message_for_me_json
from stories import services as story_services
from stories.models import Story, StoryView
from whatsapp import ratelimit
from whatsapp.timestamps import timestamp

EXPORT_FORMAT = "whatsapp-export/1"
# Messages are read this many at a time (each page: the messages, their media, their reactions).
EXPORT_PAGE = 1000
# My reactions, stars and "deleted for me" rows, per export key: (kind, model, the key of
# the message's id, when it was made).
_MARKS = {
    "reactions": [
        ("message", MessageReaction, "message_id", "reacted_at"),
        ("group_message", GroupMessageReaction, "group_message_id", "reacted_at"),
    ],
    "starred": [
        ("message", MessageStar, "message_id", "starred_at"),
        ("group_message", GroupMessageStar, "group_message_id", "starred_at"),
    ],
    "hidden": [
        ("message", MessageHide, "message_id", "hidden_at"),
        ("group_message", GroupMessageHide, "group_message_id", "hidden_at"),
    ],
}


def _messages_of(user: User, queryset: QuerySet) -> Iterator:
    """``queryset``'s messages in id order, a page at a time, each with its media, reactions,
    quoted message and whether ``user`` starred it (``starred``)."""
    stars = queryset.model._meta.get_field("stars").related_model
    queryset = with_details(
        queryset.annotate(
            starred=Exists(stars.objects.filter(message=OuterRef("pk"), user_id=user.id))
        )
    ).order_by("id")
    after = 0
    while True:
        page = list(queryset.filter(id__gt=after)[:EXPORT_PAGE])
        yield from page
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1].id


def _marks_of(user: User, name: str) -> list[dict]:
    """``user``'s reactions, stars or "deleted for me" rows (1:1 and group), oldest first:
    {kind, message_id or group_message_id, at} (and ``emoji`` for a reaction)."""
    marks = []
    for kind, model, key, made_at in _MARKS[name]:
        for row in model.objects.filter(user=user).order_by(made_at, "id"):
            mark = {"kind": kind, key: row.message_id, "at": timestamp(getattr(row, made_at))}
            if name == "reactions":
                mark["emoji"] = row.emoji
            marks.append(mark)
    return sorted(marks, key=lambda mark: mark["at"])


def export_user_data(user: User) -> dict:
    """Everything stored about ``user``, as JSON-ready data (their "download my data").

    Profile, contacts, blocks, their 1:1 messages (sent and received), their groups and the
    group messages they sent (in the API's shapes: replies, reactions, edits, deletions and
    whether they starred each), their stories, calls, a list of the files they uploaded (with
    the URLs that download them), and their own reactions, stars and messages deleted for
    themselves (by message id, 1:1 and group). Other people's group messages are theirs, not
    exported.
    Counts against ``EXPORT_RATE`` (RateLimited with ``retry_after`` beyond it), whichever face
    asked.
    """
    rate = ratelimit.Rate.parse(settings.EXPORT_RATE)
    ratelimit.check_rate("export", user.id, rate, what="data exports")

    messages = Message.objects.filter(sender=user) | Message.objects.filter(receiver=user)
    group_messages = GroupMessage.objects.filter(sender=user)
    memberships = GroupMember.objects.filter(user=user).select_related("group")
    stories = Story.objects.filter(user=user).order_by("id")
    calls = (Call.objects.filter(caller=user) | Call.objects.filter(receiver=user)).select_related(
        "caller", "receiver"
    )
    uploaded = Multimedia.objects.filter(
        models.Q(message__sender=user)
        | models.Q(group_message__sender=user)
        | models.Q(community_announcement__sender=user)
    ).order_by("id")
    profile = {
        "user_id": user.id,
        "phone_number": user.phone_number,
        "name": user.name,
        "status": user.status,
        "profile_picture": user.profile_picture_url,
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
        "last_seen": timestamp(user.last_seen),
    }
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timestamp(timezone.now()),
        "profile": profile,
        "contacts": [
            {
                "contact_id": contact.id,
                "user_id": contact.contact_user_id,
                "name": contact.contact_user.name,
                "phone_number": contact.contact_user.phone_number,
                "added_at": timestamp(contact.added_at),
            }
            for contact in Contact.objects.filter(user=user).select_related("contact_user")
        ],
        "blocks": [
            {
                "user_id": block.blocked_id,
                "name": block.blocked.name,
                "phone_number": block.blocked.phone_number,
                "created_at": timestamp(block.created_at),
            }
            for block in Block.objects.filter(blocker=user).select_related("blocked")
        ],
        "messages": [message_for_me_json(m) for m in _messages_of(user, messages)],
        "groups": [
            {
                "group_id": membership.group_id,
                "group_name": membership.group.name,
                "added_at": timestamp(membership.added_at),
                "is_admin": membership.is_admin,
            }
            for membership in memberships.order_by("group_id")
        ],
        "group_messages": [
            group_message_for_me_json(m) for m in _messages_of(user, group_messages)
        ],
        "stories": [
            {
                "story_id": story.id,
                "content": story.content,
                "created_at": timestamp(story.created_at),
                "expires_at": timestamp(story.expires_at),
                "file_type": story.file_type or None,
            }
            for story in stories
        ],
        "calls": [call_payload(call) for call in calls.order_by("id")],
        "media": [media_item_json(item) for item in uploaded],
        "reactions": _marks_of(user, "reactions"),
        "starred": _marks_of(user, "starred"),
        "hidden": _marks_of(user, "hidden"),
    }


def erase_user(actor: User, *, user: User) -> User:
    """Staff: delete an account without tearing holes in other people's conversations.

    The row stays, so the messages this user exchanged stay in the other side's chats (shown
    as from "Deleted account"); everything that identifies them or is theirs alone goes: name,
    phone number, status, picture, password, token, contacts and blocks (both ways), stories,
    group memberships (as if they left: admin passes on), community admin roles, and their
    reactions, stars and messages deleted for themselves (the row stays, so no CASCADE takes
    them; others see the reactions gone on their next load). The account is deactivated and
    its open sockets are closed (:func:`accounts.services.anonymize_user`).
    """
    account_services.check_may_erase(actor, user=user)
    for membership in GroupMember.objects.filter(user=user).select_related("group"):
        group_services.leave_group(user, group=membership.group)
    with transaction.atomic():
        story_services.remove_stories(Story.objects.filter(user=user))
        StoryView.objects.filter(user=user).delete()
        for marks in _MARKS.values():
            for _, model, _, _ in marks:
                model.objects.filter(user=user).delete()
        for community in Community.objects.filter(admins=user):
            community.admins.remove(user)
        account_services.anonymize_user(actor, user=user)
    return user
