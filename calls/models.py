from django.conf import settings
from django.db import models
from django.db.models import Q


class Call(models.Model):
    class CallType(models.TextChoices):
        VOICE = "voice", "Voice"
        VIDEO = "video", "Video"

    class Status(models.TextChoices):
        RINGING = "ringing", "Ringing"
        ANSWERED = "answered", "Answered"
        DECLINED = "declined", "Declined"
        MISSED = "missed", "Missed"
        ENDED = "ended", "Ended"

    id = models.BigAutoField(primary_key=True, db_column="call_id")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calls_made",
        db_column="caller_id",
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calls_received",
        db_column="receiver_id",
    )
    call_type = models.CharField(max_length=10, choices=CallType.choices)
    # When the callee answered (null if never answered).
    call_started_at = models.DateTimeField(null=True, blank=True)
    call_ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RINGING)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "calls"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["caller", "-created_at"], name="call_caller_idx"),
            models.Index(fields=["receiver", "-created_at"], name="call_receiver_idx"),
            models.Index(
                fields=["status"],
                condition=Q(status__in=["ringing", "answered"]),
                name="call_live_idx",
            ),
        ]

    def __str__(self):
        return f"{self.call_type} call #{self.id} {self.caller_id}→{self.receiver_id}"

    @property
    def call_id(self) -> int:
        return self.id

    @property
    def duration_seconds(self) -> int | None:
        """Whole seconds between answer and hang-up; None for calls never answered or ongoing."""
        if self.call_started_at is None or self.call_ended_at is None:
            return None
        return max(0, int((self.call_ended_at - self.call_started_at).total_seconds()))

    def other_party_id(self, user_id: int) -> int:
        return self.receiver_id if user_id == self.caller_id else self.caller_id
