"""State changes of moderation: users report, staff act on reports, every action is audited.

Written once, called by the REST API, the report page and the admin alike. Staff actions check
the acting user's permissions (the "Moderator" group grants exactly these), reuse the owning
apps' services for the change itself, resolve the reports it answers, write one
:class:`~moderation.models.AuditLog` row in the same transaction, and push what open clients
must show at once:

- ``message.removed`` {message_id} to both users of a removed 1:1 message;
- ``group_message.removed`` {group_message_id, group_id} to every member of its group;
- ``story.deleted`` {story_id, user_id} (the stories app's frame) to a removed story's audience;
- ``account.suspended`` {} then the internal ``_close`` to every socket of a suspended user.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from account_data import services as account_data_services
from accounts import services as account_services
from accounts.models import User
from attachments.deletion import delete_files_now, delete_files_on_commit
from chats import moderation as chat_moderation
from chats.models import Message
from groups import services as group_services
from groups.models import Group, GroupMember, GroupMessage
from moderation import selectors
from moderation.models import AuditLog, GroupBan, Report, ReportSnapshot
from stories import selectors as story_selectors
from stories.models import Story
from whatsapp import realtime
from whatsapp.errors import Conflict, DomainError, Forbidden, RateLimited

NOTE_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 2000
EVIDENCE_DIR = "moderation/evidence"
_OWN_CONTENT = {
    Report.Kind.USER: "You cannot report yourself.",
    Report.Kind.STORY: "You cannot report your own status.",
    None: "You cannot report your own message.",
}


# --- reporting ------------------------------------------------------------------------------


def reports_per_hour() -> int:
    return int(getattr(settings, "REPORTS_PER_HOUR", 10))


def check_report_rate(reporter: User, *, now: datetime | None = None) -> None:
    """Refuse (RateLimited, with ``retry_after`` seconds) a reporter over the hourly limit."""
    now = now or timezone.now()
    limit = reports_per_hour()
    times = selectors.recent_report_times(reporter, now=now)
    if len(times) < limit:
        return
    # A slot frees up when the oldest report still counting leaves the window.
    frees_at = times[len(times) - limit] + selectors.RATE_WINDOW
    wait = max(1, math.ceil((frees_at - now).total_seconds()))
    exc = RateLimited(
        f"You have sent too many reports. Try again in {_duration(wait)}.", code="rate_limited"
    )
    exc.retry_after = wait
    raise exc


def _duration(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def create_report(
    reporter: User,
    *,
    kind: str,
    target_id: int,
    reason: str,
    note: str = "",
    block: bool = False,
) -> Report:
    """Report something ``reporter`` can see; optionally block the person behind it.

    What cannot be seen is NotFound. A report of a message or story copies it; a report of a
    user or group copies the latest messages of that chat the reporter can read (WhatsApp's
    "last five messages"), so later deletion destroys no evidence. One open report per
    reporter and object; at most ``settings.REPORTS_PER_HOUR`` reports an hour.
    """
    if kind not in Report.Kind.values:
        raise DomainError("Choose what to report.", code="invalid", field="kind")
    if reason not in Report.Reason.values:
        raise DomainError("Choose a reason.", code="invalid", field="reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            f"Notes are limited to {NOTE_MAX_LENGTH} characters.", code="too_long", field="note"
        )
    check_report_rate(reporter)
    target = selectors.report_target(reporter, kind=kind, target_id=target_id)
    if target.person is not None and target.person.id == reporter.id:
        raise DomainError(_OWN_CONTENT.get(kind, _OWN_CONTENT[None]), code="own_content")
    if target.removed:
        raise DomainError("This was already removed.", code="removed")
    if block and target.person is None:
        raise DomainError("Only a person can be blocked.", code="invalid", field="block")
    if selectors.open_report_by(reporter, kind=kind, target_id=target.target_id):
        raise Conflict(
            "You already reported this. It is waiting for review.", code="already_reported"
        )

    copies: list[str] = []
    try:
        snapshots = _snapshots(selectors.evidence_for(reporter, target), copies)
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                kind=kind,
                target_id=target.target_id,
                message=target.obj if kind == Report.Kind.MESSAGE else None,
                group_message=target.obj if kind == Report.Kind.GROUP_MESSAGE else None,
                story=target.obj if kind == Report.Kind.STORY else None,
                reported_user=target.person,
                group=target.group,
                reason=reason,
                note=note,
                blocked=block,
            )
            for snapshot in snapshots:
                snapshot.report = report
            ReportSnapshot.objects.bulk_create(snapshots)
            if block:
                account_services.block_user(reporter, blocked=target.person)
    except BaseException:
        delete_files_now(copies)
        raise
    return report


def _snapshots(items: list, copies: list[str]) -> list[ReportSnapshot]:
    """Unsaved copies of messages / stories; thumbnails are copied to storage (into ``copies``)."""
    senders = User.objects.in_bulk(
        {item.user_id if isinstance(item, Story) else item.sender_id for item in items}
    )
    snapshots = []
    for item in items:
        if isinstance(item, Story):
            kind, sender_id, sent_at = ReportSnapshot.Kind.STORY, item.user_id, item.created_at
            files = [_story_file(item, copies)] if item.file else []
        else:
            kind = (
                ReportSnapshot.Kind.MESSAGE
                if isinstance(item, Message)
                else ReportSnapshot.Kind.GROUP_MESSAGE
            )
            sender_id, sent_at = item.sender_id, item.sent_at
            files = [_media_file(row, copies) for row in item.media.all()]
        sender = senders.get(sender_id)
        snapshots.append(
            ReportSnapshot(
                kind=kind,
                original_id=item.id,
                sender=sender,
                sender_label=str(sender) if sender else "",
                content=item.content,
                sent_at=sent_at,
                media=files,
            )
        )
    return snapshots


def _media_file(row, copies: list[str]) -> dict[str, Any]:
    return {
        "multimedia_id": row.id,
        "file_type": row.file_type,
        "original_name": row.original_name,
        "size": row.size,
        "file": row.file.name,
        "evidence": _copy_evidence(row.thumbnail.name if row.thumbnail else "", copies),
    }


def _story_file(story: Story, copies: list[str]) -> dict[str, Any]:
    return {
        "multimedia_id": None,
        "file_type": story.file_type,
        "original_name": PurePath(story.file.name).name,
        "size": story.size,
        "file": story.file.name,
        "evidence": _copy_evidence(story.thumbnail.name if story.thumbnail else "", copies),
    }


def _copy_evidence(name: str, copies: list[str]) -> str | None:
    """Copy a stored thumbnail for the report; None when there is none (or it is gone)."""
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as source:
            data = source.read()
    except (FileNotFoundError, OSError):
        return None
    suffix = PurePath(name).suffix.lower() or ".jpg"
    stored = default_storage.save(f"{EVIDENCE_DIR}/{uuid.uuid4().hex}{suffix}", ContentFile(data))
    copies.append(stored)
    return stored


# --- staff: permissions, audit, resolution --------------------------------------------------


def _require(actor: User, permission: str) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm(f"moderation.{permission}")):
        raise Forbidden("You do not have permission to do this.", code="not_moderator")


def _clean_reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError("Give a reason.", code="blank", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            f"Reasons are limited to {REASON_MAX_LENGTH} characters.",
            code="too_long",
            field="reason",
        )
    return reason


def target_label(obj: Any) -> str:
    """How the audit log names an object (kept when the object goes)."""
    if isinstance(obj, User):
        return str(obj)
    if isinstance(obj, Group):
        return f"{obj.name} (group #{obj.id})"
    if isinstance(obj, Message):
        return f"message #{obj.id} from {obj.sender}"
    if isinstance(obj, GroupMessage):
        return f"group message #{obj.id} from {obj.sender} in {obj.group}"
    if isinstance(obj, Story):
        return f"story #{obj.id} by {obj.user}"
    return str(obj)


def _audit(
    actor: User,
    action: str,
    *,
    target_kind: str,
    target: Any,
    reason: str,
    report: Report | None = None,
    details: dict | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        actor=actor,
        actor_label=str(actor),
        action=action,
        target_kind=target_kind,
        target_id=target.id,
        target_label=target_label(target)[:300],
        report=report,
        reason=reason,
        details=details or {},
    )


def _resolve(reports: QuerySet[Report], actor: User, *, status: str) -> int:
    return reports.update(status=status, resolved_at=timezone.now(), resolved_by=actor)


def _report_ids(report: Report | None) -> Q:
    return Q(id=report.id) if report is not None else Q(pk__in=[])


def dismiss_report(actor: User, *, report: Report, reason: str = "") -> Report:
    """Close an open report without acting on what it names."""
    if not (actor.is_active and actor.is_staff and actor.has_perm("moderation.change_report")):
        raise Forbidden("You do not have permission to do this.", code="not_moderator")
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        if not _resolve(
            Report.objects.filter(id=report.id, status=Report.Status.OPEN),
            actor,
            status=Report.Status.DISMISSED,
        ):
            raise Conflict("This report was already resolved.", code="already_resolved")
        report.refresh_from_db()
        _audit(
            actor,
            AuditLog.Action.DISMISS_REPORT,
            target_kind="report",
            target=report,
            reason=reason,
            report=report,
        )
    return report


# --- staff: removing content ----------------------------------------------------------------


def remove_content(
    actor: User, *, report: Report | None = None, target: Any = None, reason: str
) -> Any:
    """Remove a message, group message or story for everyone (a tombstone), with its media.

    The row stays with ``removed_at`` set and its content blanked; its attachments (rows and
    files, once no forward shares them) are deleted; the report's snapshot keeps the evidence.
    Open clients are told at once. Every open report of the same content is resolved.
    Returns the removed object.
    """
    _require(actor, "remove_content")
    reason = _clean_reason(reason, required=True)
    if report is not None:
        target = report.content
        if target is None:
            raise DomainError(
                "This report names no message or story (or it no longer exists).",
                code="no_content",
            )
    if not isinstance(target, Message | GroupMessage | Story):
        raise DomainError("Only messages and stories can be removed.", code="no_content")
    if target.removed_at is not None:
        raise Conflict("This was already removed.", code="already_removed")
    if getattr(target, "deleted_at", None) is not None:  # its content, media are erased already
        raise Conflict("Its sender already deleted this message for everyone.", code="deleted")

    with transaction.atomic():
        if isinstance(target, Message):
            kind, action = Report.Kind.MESSAGE, AuditLog.Action.REMOVE_MESSAGE
            removed = chat_moderation.remove_messages(
                actor, messages=Message.objects.filter(id=target.id)
            )
            if removed:
                Message.objects.filter(id=target.id).update(content="")
                realtime.publish(
                    [target.sender_id, target.receiver_id],
                    {"type": "message.removed", "message_id": target.id},
                )
        elif isinstance(target, GroupMessage):
            kind, action = Report.Kind.GROUP_MESSAGE, AuditLog.Action.REMOVE_GROUP_MESSAGE
            removed = group_services.remove_group_messages(actor, message_ids=[target.id])
            if removed:
                GroupMessage.objects.filter(id=target.id).update(content="")
                realtime.publish_to_group(
                    group_services.group_channel(target.group_id),
                    {
                        "type": "group_message.removed",
                        "group_message_id": target.id,
                        "group_id": target.group_id,
                    },
                )
        else:
            kind, action = Report.Kind.STORY, AuditLog.Action.REMOVE_STORY
            removed = _remove_story(target)
        if not removed:  # a concurrent removal won
            raise Conflict("This was already removed.", code="already_removed")
        _resolve(
            Report.objects.filter(
                Q(kind=kind, target_id=target.id, status=Report.Status.OPEN) | _report_ids(report)
            ),
            actor,
            status=Report.Status.ACTIONED,
        )
        _audit(actor, action, target_kind=kind, target=target, reason=reason, report=report)
        target.refresh_from_db()
    return target


def _remove_story(story: Story) -> int:
    """Tombstone a story: hidden everywhere, content and files gone; viewers drop it live."""
    names = [story.file.name if story.file else "", story.thumbnail.name if story.thumbnail else ""]
    removed = Story.objects.filter(id=story.id, removed_at__isnull=True).update(
        removed_at=timezone.now(), content="", file=None, thumbnail=None
    )
    if removed:
        delete_files_on_commit(names)
        author = User.objects.get(id=story.user_id)
        realtime.publish(
            story_selectors.audience_ids(author),
            {"type": "story.deleted", "story_id": story.id, "user_id": story.user_id},
        )
    return removed


# --- staff: suspending users ----------------------------------------------------------------


def suspend_user(actor: User, *, user: User, reason: str, report: Report | None = None) -> User:
    """Suspend an account: log-in refused, token revoked, open sockets closed at once.

    Open reports of the user (as a user) are resolved; reports of their messages stay open,
    as their content may still need removing. Only superusers suspend staff.
    """
    _require(actor, "suspend_user")
    reason = _clean_reason(reason, required=True)
    if user.is_staff and not actor.is_superuser and user.id != actor.id:
        raise Forbidden("Only a superuser can suspend a staff account.", code="not_moderator")
    if not user.is_active:
        raise Conflict("This account is already suspended.", code="already_suspended")
    with transaction.atomic():
        # Told first, so the browser leaves the app instead of reconnecting in a loop.
        realtime.publish([user.id], {"type": "account.suspended"})
        account_services.deactivate_user(actor, user=user)
        _resolve(
            Report.objects.filter(
                Q(kind=Report.Kind.USER, target_id=user.id, status=Report.Status.OPEN)
                | _report_ids(report)
            ),
            actor,
            status=Report.Status.ACTIONED,
        )
        _audit(
            actor,
            AuditLog.Action.SUSPEND_USER,
            target_kind="user",
            target=user,
            reason=reason,
            report=report,
        )
    return user


def reinstate_user(actor: User, *, user: User, reason: str) -> User:
    """Lift a suspension: the user may log in again."""
    _require(actor, "suspend_user")
    reason = _clean_reason(reason, required=True)
    if user.is_active:
        raise Conflict("This account is not suspended.", code="not_suspended")
    with transaction.atomic():
        account_services.reactivate_user(actor, user=user)
        _audit(
            actor, AuditLog.Action.REINSTATE_USER, target_kind="user", target=user, reason=reason
        )
    return user


def delete_account(actor: User, *, user: User, reason: str) -> User:
    """``account_data.services.erase_user``, written to the audit log under the erased name."""
    with transaction.atomic():
        account_data_services.erase_user(actor, user=user)
        _audit(
            actor, AuditLog.Action.DELETE_ACCOUNT, target_kind="user", target=user, reason=reason
        )
    return user


# --- staff: group bans ----------------------------------------------------------------------


def ban_from_group(
    actor: User, *, group: Group, user: User, reason: str, report: Report | None = None
) -> GroupBan:
    """Remove ``user`` from ``group`` and keep its admins from adding them back.

    The removal is the groups app's own (sockets unsubscribed, receipts settled, admin handed
    on if they were the last admin).
    """
    _require(actor, "ban_from_group")
    reason = _clean_reason(reason, required=True)
    if selectors.group_ban(group.id, user.id) is not None:
        raise Conflict("This user is already banned from this group.", code="already_banned")
    with transaction.atomic():
        ban = GroupBan.objects.create(group=group, user=user, banned_by=actor, reason=reason)
        was_member = GroupMember.objects.filter(group_id=group.id, user_id=user.id).exists()
        if was_member:
            group_services.leave_group(user, group=group)
        _resolve(Report.objects.filter(_report_ids(report)), actor, status=Report.Status.ACTIONED)
        _audit(
            actor,
            AuditLog.Action.BAN_FROM_GROUP,
            target_kind="user",
            target=user,
            reason=reason,
            report=report,
            details={"group_id": group.id, "group_name": group.name, "was_member": was_member},
        )
    return ban


def lift_group_ban(actor: User, *, ban: GroupBan, reason: str) -> None:
    """Let the group's admins add the user again (it does not add them back)."""
    _require(actor, "ban_from_group")
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        GroupBan.objects.filter(id=ban.id).delete()
        _audit(
            actor,
            AuditLog.Action.LIFT_GROUP_BAN,
            target_kind="user",
            target=ban.user,
            reason=reason,
            details={"group_id": ban.group_id, "group_name": ban.group.name},
        )


# --- staff: one action on a report ----------------------------------------------------------


def act_on_report(
    actor: User, *, report: Report, action: str, reason: str, member: User | None = None
) -> Report:
    """Take one of :data:`moderation.selectors.REPORT_ACTIONS` on ``report``.

    A ban applies to ``member`` when given (a report about a whole group names no one),
    otherwise to the reported user.
    """
    if action == "dismiss":
        dismiss_report(actor, report=report, reason=reason)
    elif action == "remove_content":
        remove_content(actor, report=report, reason=reason)
    elif action == "suspend_user":
        if report.reported_user is None:
            raise DomainError("This report names no user.", code="no_user")
        suspend_user(actor, user=report.reported_user, reason=reason, report=report)
    elif action == "ban_from_group":
        user = member or report.reported_user
        if report.group is None or user is None:
            raise DomainError(
                "This report names no group member (open it to choose one).", code="no_member"
            )
        ban_from_group(actor, group=report.group, user=user, reason=reason, report=report)
    else:
        raise DomainError(f"Unknown action “{action}”.", code="unknown_action")
    report.refresh_from_db()
    return report
