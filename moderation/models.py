"""Trust and safety: users' reports, the evidence copied with them, group bans and the audit log.

Reports point at what was reported through nullable foreign keys (``SET_NULL``), and keep the
original id in ``target_id``: deleting a message, story, group or account later never deletes
the report or its snapshot.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Report(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        GROUP_MESSAGE = "group_message", "Group message"
        STORY = "story", "Story"
        USER = "user", "User"
        GROUP = "group", "Group"

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse"
        HARASSMENT = "harassment", "Harassment"
        ILLEGAL_CONTENT = "illegal_content", "Illegal content"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Actioned"

    id = models.BigAutoField(primary_key=True, db_column="report_id")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="reports_made",
        db_column="reporter_id",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The reported object's id, kept when the object itself is deleted.
    target_id = models.PositiveBigIntegerField()
    message = models.ForeignKey(
        "chats.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        db_column="message_id",
    )
    group_message = models.ForeignKey(
        "groups.GroupMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        db_column="group_message_id",
    )
    story = models.ForeignKey(
        "stories.Story",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        db_column="story_id",
    )
    # The reported user, or the author of the reported message or story.
    reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_received",
        db_column="reported_user_id",
    )
    # The reported group, or the group of the reported group message.
    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        db_column="group_id",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True)
    # Whether the reporter also blocked the reported user.
    blocked = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_resolved",
        db_column="resolved_by",
    )

    class Meta:
        db_table = "reports"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue_idx"),
            models.Index(fields=["reporter", "-created_at"], name="report_reporter_idx"),
        ]
        permissions = [
            ("remove_content", "Can remove reported content"),
            ("suspend_user", "Can suspend and reinstate users"),
            ("ban_from_group", "Can ban users from groups"),
        ]

    def __str__(self):
        return f"Report #{self.id}: {self.get_kind_display()} #{self.target_id} ({self.reason})"

    @property
    def report_id(self) -> int:
        return self.id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def content(self):
        """The reported message, group message or story (None for users and groups, or gone)."""
        return self.message or self.group_message or self.story


class ReportSnapshot(models.Model):
    """A copy of one message (or story) attached to a report, as the reporter saw it.

    ``media`` lists the attachments: ``multimedia_id``, ``file_type``, ``original_name``,
    ``size``, ``file`` (the stored name then) and ``evidence`` (the stored name of a copy of the
    thumbnail, kept by moderation, or null).
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        GROUP_MESSAGE = "group_message", "Group message"
        STORY = "story", "Story"

    id = models.BigAutoField(primary_key=True, db_column="snapshot_id")
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="snapshots", db_column="report_id"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    original_id = models.PositiveBigIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="sender_id",
    )
    # "Name (+phone)" at the time: survives the account's deletion.
    sender_label = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    media = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "report_snapshots"
        ordering = ["sent_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.original_id} in report #{self.report_id}"


class GroupBan(models.Model):
    """Staff banned ``user`` from ``group``: removed, and no admin can add them back."""

    id = models.BigAutoField(primary_key=True, db_column="group_ban_id")
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, related_name="bans", db_column="group_id"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_bans",
        db_column="user_id",
    )
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_column="banned_by",
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "group_bans"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="unique_group_ban"),
        ]

    def __str__(self):
        return f"{self.user} banned from {self.group}"


class AuditLog(models.Model):
    """One moderation action: who did what to which object, when and why. Never edited."""

    class Action(models.TextChoices):
        DISMISS_REPORT = "dismiss_report", "Dismissed a report"
        REMOVE_MESSAGE = "remove_message", "Removed a message"
        REMOVE_GROUP_MESSAGE = "remove_group_message", "Removed a group message"
        REMOVE_STORY = "remove_story", "Removed a story"
        SUSPEND_USER = "suspend_user", "Suspended a user"
        REINSTATE_USER = "reinstate_user", "Reinstated a user"
        BAN_FROM_GROUP = "ban_from_group", "Banned a user from a group"
        LIFT_GROUP_BAN = "lift_group_ban", "Lifted a group ban"
        DELETE_ACCOUNT = "delete_account", "Deleted an account"

    id = models.BigAutoField(primary_key=True, db_column="audit_log_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_column="actor_id",
    )
    # The actor and target as they were named then: the log outlives both.
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=30, choices=Action.choices)
    target_kind = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField()
    target_label = models.CharField(max_length=300, blank=True)
    report = models.ForeignKey(
        Report,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_column="report_id",
    )
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "moderation_audit_log"
        ordering = ["-created_at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["target_kind", "target_id"], name="audit_target_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(actor_label=""), name="audit_log_names_its_actor"),
        ]

    def __str__(self):
        return f"{self.actor_label}: {self.get_action_display()} {self.target_label}"
