"""Shapes of reports in the REST API (the reporter's view: no staff-only fields)."""

from rest_framework import serializers

from moderation.models import Report
from moderation.services import NOTE_MAX_LENGTH


class ReportCreateSerializer(serializers.Serializer):
    """POST reports/: what to report, why, and whether to block the person behind it."""

    kind = serializers.ChoiceField(
        choices=Report.Kind.choices,
        help_text="message, group_message, story, user or group.",
    )
    target_id = serializers.IntegerField(
        min_value=1,
        help_text="The message_id, group_message_id, story_id, user_id or group_id.",
    )
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default=""
    )
    block = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also block the reported user (or the sender or author of what is reported). "
        "Not for groups.",
    )


class ReportSerializer(serializers.ModelSerializer):
    report_id = serializers.IntegerField(source="id", read_only=True)
    snapshot_count = serializers.SerializerMethodField(
        help_text="How many messages were copied with the report."
    )

    class Meta:
        model = Report
        fields = [
            "report_id",
            "kind",
            "target_id",
            "reason",
            "note",
            "blocked",
            "status",
            "created_at",
            "resolved_at",
            "snapshot_count",
        ]
        read_only_fields = fields

    def get_snapshot_count(self, report: Report) -> int:
        count = getattr(report, "snapshot_total", None)
        return count if count is not None else report.snapshots.count()
