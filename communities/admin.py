"""Staff moderation of communities: communities, their groups and announcements."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.defaultfilters import truncatechars

from chats.admin import RemovedFilter
from communities import services
from communities.models import Community, CommunityAnnouncement, CommunityGroup


class CommunityGroupInline(admin.TabularInline):
    model = CommunityGroup
    extra = 0
    fields = ["group", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["group"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "created_by", "created_at"]
    list_select_related = ["created_by"]
    list_filter = ["created_at"]
    search_fields = ["name", "description"]
    date_hierarchy = "created_at"
    raw_id_fields = ["created_by", "admins"]
    readonly_fields = ["created_at"]
    inlines = [CommunityGroupInline]


@admin.register(CommunityGroup)
class CommunityGroupAdmin(admin.ModelAdmin):
    list_display = ["id", "community", "group", "added_at"]
    list_select_related = ["community", "group"]
    search_fields = ["community__name", "group__name"]
    raw_id_fields = ["community", "group"]
    readonly_fields = ["added_at"]


@admin.register(CommunityAnnouncement)
class CommunityAnnouncementAdmin(admin.ModelAdmin):
    list_display = ["id", "community", "sender", "excerpt", "sent_at", "is_removed"]
    list_select_related = ["community", "sender"]
    list_filter = ["sent_at", RemovedFilter]
    search_fields = ["content", "community__name", "sender__name", "sender__phone_number"]
    date_hierarchy = "sent_at"
    raw_id_fields = ["community", "sender"]
    readonly_fields = ["sent_at", "removed_at"]
    actions = ["remove_announcements"]

    @admin.display(description="content")
    def excerpt(self, announcement: CommunityAnnouncement) -> str:
        return truncatechars(announcement.content, 60)

    @admin.display(boolean=True, description="removed", ordering="removed_at")
    def is_removed(self, announcement: CommunityAnnouncement) -> bool:
        return announcement.removed_at is not None

    @admin.action(description="Remove selected announcements", permissions=["change"])
    def remove_announcements(self, request, queryset: QuerySet[CommunityAnnouncement]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        count = services.remove_announcements(request.user, announcement_ids=ids)
        self.message_user(
            request, f"Removed {count} announcement(s) and their media.", messages.SUCCESS
        )
