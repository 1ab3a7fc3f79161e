"""Shapes of calls in the REST API and in `call.*` frames (the same JSON in both)."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from calls.models import Call


class CallPartySerializer(serializers.ModelSerializer):
    """The short public profile of a caller or receiver.

    No phone number: one JSON goes to both parties, and calling an id must not tell the caller
    the receiver's number. A number comes from ``users/{user_id}/``, to those who know the user.
    """

    user_id = serializers.IntegerField(source="id", read_only=True)
    profile_picture = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["user_id", "name", "profile_picture"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_profile_picture(self, user: User) -> str | None:
        if not user.profile_picture:
            return None
        return reverse("accounts:profile_picture", args=[user.id])


class CallSerializer(serializers.ModelSerializer):
    call_id = serializers.IntegerField(source="id", read_only=True)
    caller_id = serializers.IntegerField(read_only=True)
    receiver_id = serializers.IntegerField(read_only=True)
    caller = CallPartySerializer(read_only=True)
    receiver = CallPartySerializer(read_only=True)
    duration_seconds = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Seconds from answer to hang-up; null if never answered or still going.",
    )

    class Meta:
        model = Call
        fields = [
            "call_id",
            "caller_id",
            "receiver_id",
            "caller",
            "receiver",
            "call_type",
            "status",
            "call_started_at",
            "call_ended_at",
            "created_at",
            "duration_seconds",
        ]
        read_only_fields = fields


class StartCallSerializer(serializers.Serializer):
    receiver_id = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    call_type = serializers.ChoiceField(choices=Call.CallType.choices)


def call_payload(call: Call) -> dict[str, Any]:
    """The call as JSON-ready data, for frames (the REST API renders the same serializer)."""
    return dict(CallSerializer(call).data)
