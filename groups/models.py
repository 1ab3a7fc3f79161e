from django.conf import settings
from django.db import models
from django.db.models import Q

from messaging.models import Hide, Reaction, Star
from messaging.texts import is_forwarded_many_times


class Group(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="group_id")
    name = models.CharField(max_length=100, db_column="group_name")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="created_groups",
        db_column="created_by",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMember", related_name="chat_groups"
    )

    class Meta:
        db_table = "groups"
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def group_id(self) -> int:
        return self.id

    @property
    def group_name(self) -> str:
        return self.name


class GroupMember(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="group_member_id")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", db_column="group_id"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_memberships",
        db_column="user_id",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    is_admin = models.BooleanField(default=False)

    class Meta:
        db_table = "group_members"
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="unique_group_member"),
        ]

    def __str__(self):
        return f"{self.user} in {self.group}"


class GroupMessage(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="group_message_id")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="messages", db_column="group_id"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sent_group_messages",
        db_column="sender_id",
    )
    content = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Group-wide: set once every other member has received / read the message.
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    forwarded_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forwards",
        db_column="forwarded_from_group_message_id",
    )
    forward_count = models.PositiveIntegerField(default=0)
    # NULL, not "", when absent: the unique (sender, client_id) constraint skips NULLs.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    removed_at = models.DateTimeField(null=True, blank=True)
    # As chats.models.Message: the quoted message, the last edit, the delete for everyone.
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        db_column="reply_to_group_message_id",
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "group_messages"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_group_message_client_id",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "-id"], name="group_message_history_idx"),
        ]

    def __str__(self):
        return f"#{self.id} in {self.group_id}: {self.content[:40]}"

    @property
    def group_message_id(self) -> int:
        return self.id

    @property
    def forwarded_many_times(self) -> bool:
        return is_forwarded_many_times(self.forward_count)


class GroupMessageReceipt(models.Model):
    """One member's delivery and read state of one group message."""

    id = models.BigAutoField(primary_key=True, db_column="receipt_id")
    group_message = models.ForeignKey(
        GroupMessage,
        on_delete=models.CASCADE,
        related_name="receipts",
        db_column="group_message_id",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_message_receipts",
        db_column="user_id",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "group_message_receipts"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_message", "user"], name="unique_group_message_receipt"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "group_message"],
                condition=Q(read_at__isnull=True),
                name="group_receipt_unread_idx",
            ),
        ]

    def __str__(self):
        return f"receipt of {self.group_message_id} for {self.user_id}"


class GroupMessageReaction(Reaction):
    id = models.BigAutoField(primary_key=True, db_column="group_message_reaction_id")
    message = models.ForeignKey(
        GroupMessage,
        on_delete=models.CASCADE,
        related_name="reactions",
        db_column="group_message_id",
    )

    class Meta(Reaction.Meta):
        db_table = "group_message_reactions"


class GroupMessageStar(Star):
    id = models.BigAutoField(primary_key=True, db_column="group_message_star_id")
    message = models.ForeignKey(
        GroupMessage, on_delete=models.CASCADE, related_name="stars", db_column="group_message_id"
    )

    class Meta(Star.Meta):
        db_table = "group_message_stars"


class GroupMessageHide(Hide):
    id = models.BigAutoField(primary_key=True, db_column="group_message_hide_id")
    message = models.ForeignKey(
        GroupMessage, on_delete=models.CASCADE, related_name="hides", db_column="group_message_id"
    )

    class Meta(Hide.Meta):
        db_table = "group_message_hides"
