from django.conf import settings
from django.db import models
from django.db.models import Q

from messaging.models import Hide, Reaction, Star
from messaging.texts import is_forwarded_many_times


class Message(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="message_id")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sent_messages",
        db_column="sender_id",
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="received_messages",
        db_column="receiver_id",
    )
    content = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    forwarded_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forwards",
        db_column="forwarded_from_message_id",
    )
    # How many forwards lie behind this message (0 for an original); messaging.texts says when
    # that is "many times".
    forward_count = models.PositiveIntegerField(default=0)
    # Set by the sending client to make retries idempotent: unique per sender.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (NULL: no key)
    # Set when staff remove the message: it then shows as removed to everyone.
    removed_at = models.DateTimeField(null=True, blank=True)
    # The message this one quotes (a reply), in the same chat.
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        db_column="reply_to_message_id",
    )
    # When its sender last edited the text, and when they deleted it for everyone (the row
    # stays as a tombstone; its content, media and reactions are erased).
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "messages"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_message_client_id",
            ),
        ]
        indexes = [
            # History between two users, newest first (both directions use this index).
            models.Index(fields=["sender", "receiver", "-id"], name="message_conversation_idx"),
            models.Index(fields=["receiver", "sender", "-id"], name="message_inbound_idx"),
            models.Index(
                fields=["receiver", "sender"],
                condition=Q(read_at__isnull=True),
                name="message_unread_idx",
            ),
        ]

    def __str__(self):
        return f"#{self.id} {self.sender_id}→{self.receiver_id}: {self.content[:40]}"

    @property
    def message_id(self) -> int:
        return self.id

    @property
    def forwarded(self) -> bool:
        return self.forward_count > 0 or self.forwarded_from_id is not None

    @property
    def forwarded_many_times(self) -> bool:
        return is_forwarded_many_times(self.forward_count)


class MessageReaction(Reaction):
    id = models.BigAutoField(primary_key=True, db_column="message_reaction_id")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions", db_column="message_id"
    )

    class Meta(Reaction.Meta):
        db_table = "message_reactions"


class MessageStar(Star):
    id = models.BigAutoField(primary_key=True, db_column="message_star_id")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="stars", db_column="message_id"
    )

    class Meta(Star.Meta):
        db_table = "message_stars"


class MessageHide(Hide):
    id = models.BigAutoField(primary_key=True, db_column="message_hide_id")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="hides", db_column="message_id"
    )

    class Meta(Hide.Meta):
        db_table = "message_hides"


class Multimedia(models.Model):
    """A file attached to exactly one message, group message or community announcement."""

    id = models.BigAutoField(primary_key=True, db_column="multimedia_id")
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="media",
        db_column="message_id",
    )
    group_message = models.ForeignKey(
        "groups.GroupMessage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="media",
        db_column="group_message_id",
    )
    community_announcement = models.ForeignKey(
        "communities.CommunityAnnouncement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="media",
        db_column="community_announcement_id",
    )
    file = models.FileField(upload_to="media/%Y/%m/", max_length=255, db_column="file_path")
    file_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    forwarded_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forwards",
        db_column="forwarded_from_multimedia_id",
    )
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail = models.ImageField(
        upload_to="media/thumbs/%Y/%m/", max_length=255, null=True, blank=True
    )

    class Meta:
        db_table = "multimedia"
        ordering = ["id"]
        verbose_name_plural = "multimedia"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        message__isnull=False,
                        group_message__isnull=True,
                        community_announcement__isnull=True,
                    )
                    | Q(
                        message__isnull=True,
                        group_message__isnull=False,
                        community_announcement__isnull=True,
                    )
                    | Q(
                        message__isnull=True,
                        group_message__isnull=True,
                        community_announcement__isnull=False,
                    )
                ),
                name="multimedia_has_exactly_one_owner",
            ),
        ]

    def __str__(self):
        return f"#{self.id} {self.file_type} {self.original_name or self.file.name}"

    @property
    def multimedia_id(self) -> int:
        return self.id
