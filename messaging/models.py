"""What a participant attaches to a message of any kind of chat, as abstract models: each kind
of message has its own tables (``chats``: ``message_reactions``...; ``groups``:
``group_message_reactions``...) whose ``message`` key points at its own message model.
"""

from django.conf import settings
from django.db import models


def _user(**options) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_column="user_id",
        **options,
    )


class Reaction(models.Model):
    """One user's reaction to a message: one emoji each, replaced by a new one."""

    user = _user()
    emoji = models.CharField(max_length=32)
    reacted_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="%(class)s_one_per_user")
        ]

    def __str__(self):
        return f"{self.emoji} by {self.user_id} on #{self.message_id}"


class Star(models.Model):
    """A message a participant starred (theirs alone)."""

    user = _user()
    starred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="%(class)s_one_per_user")
        ]
        indexes = [models.Index(fields=["user", "-starred_at"], name="%(class)s_by_user")]

    def __str__(self):
        return f"#{self.message_id} starred by {self.user_id}"


class Hide(models.Model):
    """A message one participant deleted for themselves: gone from their lists only."""

    user = _user()
    hidden_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="%(class)s_one_per_user")
        ]

    def __str__(self):
        return f"#{self.message_id} hidden by {self.user_id}"
