"""Account-wide work that spans every app: a user's data export and erasing an account.

This package sits above the apps (accounts, chats, groups, communities, stories, calls), so
accounts itself imports none of the apps built on it.
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Block, Contact, User
from attachments.serializers import media_item_json
from calls.models import Call
from calls.serializers import call_payload
from chats.models import Message, Multimedia
from communities.models import Community
from groups import services as group_services
from groups.models import GroupMember, GroupMessage
from messaging.serializers import group_message_json, message_json
from stories import services as story_services
from stories.models import Story, StoryView
from whatsapp import ratelimit
from whatsapp.timestamps import timestamp

EXPORT_FORMAT = "whatsapp-export/1"


def export_user_data(user: User) -> dict:
    """Everything stored about ``user``, as JSON-ready data (their "download my data").

    Profile, contacts, blocks, their 1:1 messages (sent and received), their groups and the
    group messages they sent, their stories, calls, and a list of the files they uploaded (with
    the URLs that download them). Other people's group messages are theirs, not exported.
    Counts against ``EXPORT_RATE`` (RateLimited with ``retry_after`` beyond it), whichever face
    asked.
    """
    rate = ratelimit.Rate.parse(settings.EXPORT_RATE)
    ratelimit.check_rate("export", user.id, rate, what="data exports")

    messages = (
        Message.objects.filter(sender=user) | Message.objects.filter(receiver=user)
    ).prefetch_related("media")
    group_messages = GroupMessage.objects.filter(sender=user).prefetch_related("media")
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
        "messages": [message_json(m) for m in messages.order_by("id").iterator(chunk_size=1000)],
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
            group_message_json(m) for m in group_messages.order_by("id").iterator(chunk_size=1000)
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
    }


def erase_user(actor: User, *, user: User) -> User:
    """Staff: delete an account without tearing holes in other people's conversations.

    The row stays, so the messages this user exchanged stay in the other side's chats (shown
    as from "Deleted account"); everything that identifies them or is theirs alone goes: name,
    phone number, status, picture, password, token, contacts and blocks (both ways), stories,
    group memberships (as if they left: admin passes on) and community admin roles. The
    account is deactivated and its open sockets are closed
    (:func:`accounts.services.anonymize_user`).
    """
    account_services.check_may_erase(actor, user=user)
    for membership in GroupMember.objects.filter(user=user).select_related("group"):
        group_services.leave_group(user, group=membership.group)
    with transaction.atomic():
        story_services.remove_stories(Story.objects.filter(user=user))
        StoryView.objects.filter(user=user).delete()
        for community in Community.objects.filter(admins=user):
            community.admins.remove(user)
        account_services.anonymize_user(actor, user=user)
    return user
