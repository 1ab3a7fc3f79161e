from django.contrib import admin

from calls.models import Call
from calls.templatetags.calls_tags import format_duration


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Read-only moderation view: calls change only through calls.services."""

    list_display = (
        "id",
        "caller",
        "receiver",
        "call_type",
        "status",
        "created_at",
        "call_started_at",
        "duration",
    )
    list_filter = ("call_type", "status", "created_at", "call_started_at")
    search_fields = (
        "caller__phone_number",
        "caller__name",
        "receiver__phone_number",
        "receiver__name",
    )
    list_select_related = ("caller", "receiver")
    date_hierarchy = "created_at"
    raw_id_fields = ("caller", "receiver")

    @admin.display(description="Duration")
    def duration(self, call: Call) -> str:
        seconds = call.duration_seconds
        return "—" if seconds is None else format_duration(seconds)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
