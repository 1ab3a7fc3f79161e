"""Reads of moderation data, what a reporter may report, and what staff may do to a report.

A user reports only what they can see: the visibility rules are the other apps' selectors
(``chats``, ``groups``, ``stories``, ``accounts``), so whatever they hide is NotFound here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import visible_user
from chats import selectors as chat_selectors
from groups import selectors as group_selectors
from groups.models import Group, GroupMessage
from moderation.models import GroupBan, Report
from stories import selectors as story_selectors
from whatsapp.errors import Forbidden, NotFound

# Reporting a user or a group attaches this many of the latest messages, as WhatsApp does.
SNAPSHOT_MESSAGES = 5
RATE_WINDOW = timedelta(hours=1)


@dataclass
class ReportTarget:
    """What a user is about to report, as they see it."""

    kind: str
    target_id: int
    obj: Any
    # The person behind it: the reported user, or the sender / author of the content.
    person: User | None
    group: Group | None = None

    @property
    def removed(self) -> bool:
        """Removed by staff, or deleted for everyone by its sender: nothing is left to copy."""
        return (
            getattr(self.obj, "removed_at", None) is not None
            or getattr(self.obj, "deleted_at", None) is not None
        )

    @property
    def title(self) -> str:
        """What the report page's heading names: "message from Bob", "group Trip", ..."""
        name = self.person.display_name if self.person else ""
        group = self.group.name if self.group else ""
        return {
            Report.Kind.MESSAGE: f"message from {name}",
            Report.Kind.GROUP_MESSAGE: f"message from {name} in {group}",
            Report.Kind.STORY: f"status update from {name}",
            Report.Kind.USER: name,
            Report.Kind.GROUP: f"group {group}",
        }[self.kind]

    @property
    def excerpt(self) -> str:
        content = getattr(self.obj, "content", "") or ""
        return content if len(content) <= 200 else content[:199] + "…"

    def url_for(self, reporter: User) -> str:
        """The page the report was made from: the conversation, the group or Status."""
        if self.kind in (Report.Kind.GROUP, Report.Kind.GROUP_MESSAGE):
            return reverse("groups:detail", args=[self.group.id])
        if self.kind == Report.Kind.STORY:
            return reverse("stories:status")
        if self.kind == Report.Kind.MESSAGE:
            message = self.obj
            peer = message.receiver_id if message.sender_id == reporter.id else message.sender_id
            return reverse("chats:conversation", args=[peer])
        return reverse("chats:conversation", args=[self.person.id])


def report_target(reporter: User, *, kind: str, target_id: int) -> ReportTarget:
    """What ``reporter`` wants to report, if they can see it; NotFound otherwise."""
    if kind == Report.Kind.MESSAGE:
        message = chat_selectors.visible_message(reporter, target_id)
        return ReportTarget(kind, message.id, message, message.sender)
    if kind == Report.Kind.GROUP_MESSAGE:
        group_id = (
            GroupMessage.objects.filter(id=target_id).values_list("group_id", flat=True).first()
        )
        if group_id is None:
            raise NotFound("No such message.")
        message = group_selectors.visible_group_message(reporter, group_id, target_id)
        return ReportTarget(kind, message.id, message, message.sender, message.group)
    if kind == Report.Kind.STORY:
        story = story_selectors.visible_story(reporter, target_id)
        return ReportTarget(kind, story.id, story, story.user)
    if kind == Report.Kind.USER:
        user = visible_user(reporter, target_id)
        return ReportTarget(kind, user.id, user, user)
    if kind == Report.Kind.GROUP:
        group = group_selectors.group_for_member(reporter, target_id)
        return ReportTarget(kind, group.id, group, None, group)
    raise NotFound()


def evidence_for(reporter: User, target: ReportTarget) -> list:
    """The messages (or story) a report of ``target`` copies, oldest first.

    A message or story: itself. A user: the latest messages of the 1:1 chat with them; a
    group: the latest messages of the group the reporter may read. Removed ones, and those
    their senders deleted for everyone, hold nothing.
    """
    if target.kind in (Report.Kind.MESSAGE, Report.Kind.GROUP_MESSAGE, Report.Kind.STORY):
        return [target.obj]
    if target.kind == Report.Kind.USER:
        latest = chat_selectors.conversation(reporter, target.person)
    else:
        latest = group_selectors.group_history(reporter, target.group)
    latest = latest.filter(removed_at__isnull=True, deleted_at__isnull=True)
    return list(reversed(latest[:SNAPSHOT_MESSAGES]))


def reports_by(user: User) -> QuerySet[Report]:
    """The reports ``user`` made, newest first."""
    return Report.objects.filter(reporter=user).order_by("-created_at", "-id")


def open_report_by(user: User, *, kind: str, target_id: int) -> Report | None:
    """``user``'s report of this object still waiting for review, if any."""
    return (
        Report.objects.filter(
            reporter=user, kind=kind, target_id=target_id, status=Report.Status.OPEN
        )
        .order_by("-id")
        .first()
    )


def recent_report_times(user: User, *, now: datetime | None = None) -> list[datetime]:
    """When ``user`` made the reports of the rate-limit window, oldest first."""
    now = now or timezone.now()
    return list(
        Report.objects.filter(reporter=user, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


def refuse_banned(group_id: int, user_ids: list[int]) -> None:
    """Admins cannot add back someone staff banned from the group (groups' add-member rule)."""
    if GroupBan.objects.filter(group_id=group_id, user_id__in=user_ids).exists():
        raise Forbidden(
            "This person was banned from this group by a moderator.",
            code="banned_from_group",
            field="user_id",
        )


def group_ban(group_id: int, user_id: int) -> GroupBan | None:
    return GroupBan.objects.filter(group_id=group_id, user_id=user_id).first()


# --- staff: the actions open on a report ------------------------------------------------------

REPORT_ACTIONS = ("dismiss", "remove_content", "suspend_user", "ban_from_group")
_ACTION_PERMISSIONS = {
    "dismiss": "change_report",
    "remove_content": "remove_content",
    "suspend_user": "suspend_user",
    "ban_from_group": "ban_from_group",
}


def report_actions_for(actor: User, *, report: Report) -> list[str]:
    """The :data:`REPORT_ACTIONS` ``actor`` may take on ``report`` as it is now."""
    allowed = {
        action
        for action, permission in _ACTION_PERMISSIONS.items()
        if actor.has_perm(f"moderation.{permission}")
    }
    content = report.content
    applies = {
        "dismiss": report.is_open,
        "remove_content": content is not None
        and content.removed_at is None
        and getattr(content, "deleted_at", None) is None,
        "suspend_user": report.reported_user is not None and report.reported_user.is_active,
        "ban_from_group": report.group is not None,
    }
    return [action for action in REPORT_ACTIONS if action in allowed and applies[action]]
