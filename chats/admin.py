"""Staff moderation of 1:1 messages and of attachments (messages, groups, announcements)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import path, reverse
from django.utils.html import format_html

from attachments.api import file_response, thumbnail_response
from attachments.deletion import delete_media
from attachments.kinds import media_kind
from chats.models import Message, Multimedia
from moderation.actions import remove_selected


class RemovedFilter(admin.SimpleListFilter):
    title = "removed"
    parameter_name = "removed"

    def lookups(self, request, model_admin):
        return [("yes", "Removed"), ("no", "Not removed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(removed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(removed_at__isnull=True)
        return queryset


class ChatItemAdmin(admin.ModelAdmin):
    """What the 1:1 and the group message lists share: columns and the remove action."""

    actions = ["remove_messages"]

    @admin.display(description="content")
    def excerpt(self, message: Any) -> str:
        return truncatechars(message.content, 60)

    @admin.display(boolean=True, description="delivered", ordering="delivered_at")
    def delivered(self, message: Any) -> bool:
        return message.delivered_at is not None

    @admin.display(boolean=True, description="read", ordering="read_at")
    def read(self, message: Any) -> bool:
        return message.read_at is not None

    @admin.display(boolean=True, description="removed", ordering="removed_at")
    def is_removed(self, message: Any) -> bool:
        return message.removed_at is not None

    @admin.action(description="Remove selected messages", permissions=["change"])
    def remove_messages(self, request, queryset: QuerySet[Any]) -> None:
        # Through moderation: audited, and open chats show "This message was removed" at once.
        remove_selected(self, request, queryset, noun="message(s)")


class MultimediaInline(admin.TabularInline):
    model = Multimedia
    fk_name = "message"
    extra = 0
    can_delete = False
    fields = ["file_type", "original_name", "size", "uploaded_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ChatItemAdmin):
    list_display = [
        "id",
        "sender",
        "receiver",
        "excerpt",
        "sent_at",
        "delivered",
        "read",
        "is_removed",
    ]
    list_select_related = ["sender", "receiver"]
    list_filter = ["sent_at", RemovedFilter]
    search_fields = [
        "content",
        "sender__phone_number",
        "receiver__phone_number",
        "sender__name",
        "receiver__name",
    ]
    date_hierarchy = "sent_at"
    raw_id_fields = ["sender", "receiver", "forwarded_from"]
    readonly_fields = ["sent_at", "delivered_at", "read_at", "removed_at", "client_id"]
    inlines = [MultimediaInline]


@admin.register(Multimedia)
class MultimediaAdmin(admin.ModelAdmin):
    list_display = ["id", "file_type", "human_size", "owner", "uploaded_at", "is_forward"]
    list_select_related = ["message", "group_message", "community_announcement"]
    list_filter = ["file_type", "uploaded_at"]
    search_fields = ["original_name", "file_type"]
    date_hierarchy = "uploaded_at"
    fields = [
        "preview",
        "file_type",
        "original_name",
        "human_size",
        "dimensions",
        "owner",
        "uploaded_at",
        "forwarded_from",
        "file",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/file/", view(self.serve_file), name="chats_multimedia_file"),
            path("<int:pk>/thumbnail/", view(self.serve_thumbnail), name="chats_multimedia_thumb"),
            *super().get_urls(),
        ]

    def _get_for_staff(self, request, pk: int) -> Multimedia:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Multimedia, pk=pk)

    def serve_file(self, request, pk: int):
        item = self._get_for_staff(request, pk)
        return file_response(
            item.file, file_type=item.file_type, filename=item.original_name, request=request
        )

    def serve_thumbnail(self, request, pk: int):
        return thumbnail_response(self._get_for_staff(request, pk).thumbnail, request)

    @admin.display(description="size", ordering="size")
    def human_size(self, item: Multimedia) -> str:
        return filesizeformat(item.size)

    @admin.display(description="dimensions")
    def dimensions(self, item: Multimedia) -> str:
        return f"{item.width} × {item.height}" if item.width else "—"

    @admin.display(description="attached to")
    def owner(self, item: Multimedia) -> str:
        if item.message_id:
            return f"message #{item.message_id}"
        if item.group_message_id:
            return f"group message #{item.group_message_id}"
        return f"announcement #{item.community_announcement_id}"

    @admin.display(boolean=True, description="forwarded")
    def is_forward(self, item: Multimedia) -> bool:
        return item.forwarded_from_id is not None

    @admin.display(description="preview")
    def preview(self, item: Multimedia) -> str:
        download = reverse("admin:chats_multimedia_file", args=[item.pk])
        if item.thumbnail:
            thumb = reverse("admin:chats_multimedia_thumb", args=[item.pk])
            return format_html(
                '<a href="{}"><img src="{}" alt="" style="max-width:320px;max-height:320px"></a>',
                download,
                thumb,
            )
        kind = media_kind(item.file_type)
        return format_html('<a href="{}">Download {}</a>', download, kind)

    def delete_model(self, request, obj: Multimedia) -> None:
        delete_media([obj])

    def delete_queryset(self, request, queryset: QuerySet[Multimedia]) -> None:
        delete_media(queryset)
