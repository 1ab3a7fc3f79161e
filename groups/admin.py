"""Staff moderation of groups: groups with their members, group messages (with their
reactions) and receipts, and the read-only lists of reactions, stars and "deleted for me"."""

from django.contrib import admin
from django.db.models import Count

from chats.admin import (
    ChatItemAdmin,
    DeletedFilter,
    ReactionInline,
    RemovedFilter,
    register_action_rows,
)
from groups.models import (
    Group,
    GroupMember,
    GroupMessage,
    GroupMessageHide,
    GroupMessageReaction,
    GroupMessageReceipt,
    GroupMessageStar,
)


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0
    fields = ["user", "is_admin", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["user"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "created_by", "created_at", "member_count"]
    list_select_related = ["created_by"]
    list_filter = ["created_at"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["created_by"]
    readonly_fields = ["created_at"]
    inlines = [GroupMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, group: Group) -> int:
        return group.member_total


@admin.register(GroupMember)
class GroupMemberAdmin(admin.ModelAdmin):
    list_display = ["id", "group", "user", "is_admin", "added_at"]
    list_select_related = ["group", "user"]
    list_filter = ["is_admin", "added_at"]
    search_fields = ["group__name", "user__name", "user__phone_number"]
    raw_id_fields = ["group", "user"]
    readonly_fields = ["added_at"]


class GroupMessageReactionInline(ReactionInline):
    model = GroupMessageReaction


@admin.register(GroupMessage)
class GroupMessageAdmin(ChatItemAdmin):
    list_display = [
        "id",
        "group",
        "sender",
        "excerpt",
        "reply",
        "sent_at",
        "delivered",
        "read",
        "is_edited",
        "is_deleted",
        "is_removed",
    ]
    list_select_related = ["group", "sender"]
    list_filter = ["sent_at", RemovedFilter, DeletedFilter]
    search_fields = ["content", "group__name", "sender__name", "sender__phone_number"]
    date_hierarchy = "sent_at"
    raw_id_fields = ["group", "sender", "forwarded_from"]
    readonly_fields = ["sent_at", "delivered_at", "read_at", "removed_at", "client_id"]
    inlines = [GroupMessageReactionInline]


@admin.register(GroupMessageReceipt)
class GroupMessageReceiptAdmin(admin.ModelAdmin):
    """Read-only: receipts change only through groups.services."""

    list_display = ["id", "group_message", "user", "delivered_at", "read_at"]
    list_select_related = ["group_message", "user"]
    list_filter = ["delivered_at", "read_at"]
    search_fields = ["user__name", "user__phone_number"]
    raw_id_fields = ["group_message", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


register_action_rows(GroupMessageReaction, GroupMessageStar, GroupMessageHide)
