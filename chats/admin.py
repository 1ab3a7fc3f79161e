"""Staff moderation of 1:1 messages and of attachments (messages, groups, announcements).

The message actions show here read-only: a message's reply, edit time, deletion and
reactions, and the reactions, stars and "deleted for me" rows in their own lists. They change
only through :mod:`messaging.actions`; a message deleted for everyone (or removed) cannot be
edited here, so nobody writes its erased content back.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import path, reverse
from django.utils.html import format_html

from attachments.api import file_response, thumbnail_response
from attachments.deletion import delete_media
from attachments.kinds import media_kind
from chats.models import Message, MessageHide, MessageReaction, MessageStar, Multimedia
from messaging.serializers import is_gone
from messaging.texts import MESSAGE_DELETED, MESSAGE_REMOVED
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


class DeletedFilter(admin.SimpleListFilter):
    """Messages their sender deleted for everyone (tombstones)."""

    title = "deleted for everyone"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


def _admin_link(model: Any, message_id: int | None) -> str:
    """A link to the admin page of the message of ``model`` (a class or an instance) with
    ``message_id``."""
    if message_id is None:
        return "—"
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[message_id])
    return format_html('<a href="{}">#{}</a>', url, message_id)


class ReactionInline(admin.TabularInline):
    """A message's reactions, read-only; shown to whoever may view the message."""

    extra = 0
    can_delete = False
    fields = ["user", "emoji", "reacted_at"]
    readonly_fields = fields
    ordering = ["reacted_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Reactions are part of the message: who may view it sees them.
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class ChatItemAdmin(admin.ModelAdmin):
    """What the 1:1 and the group message lists share: columns, the read-only fields of the
    message actions, and the remove action."""

    actions = ["remove_messages"]
    # Set by the message actions only (messaging.actions), never typed in here.
    action_fields = ["reply", "edited_at", "deleted_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.action_fields]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "reply_to"]

    def has_change_permission(self, request, obj=None):
        # A tombstone (deleted for everyone, or removed) is view-only: its content was erased
        # and nobody, staff included, writes it back.
        if obj is not None and is_gone(obj):
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="content")
    def excerpt(self, message: Any) -> str:
        if message.deleted_at is not None:
            return f"[{MESSAGE_DELETED.lower()}]"
        if message.removed_at is not None:
            return f"[{MESSAGE_REMOVED.lower()}]"
        return truncatechars(message.content, 60)

    @admin.display(description="reply to")
    def reply(self, message: Any) -> str:
        return _admin_link(message, message.reply_to_id)

    @admin.display(boolean=True, description="edited", ordering="edited_at")
    def is_edited(self, message: Any) -> bool:
        return message.edited_at is not None

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, message: Any) -> bool:
        return message.deleted_at is not None

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


class MessageReactionInline(ReactionInline):
    model = MessageReaction


@admin.register(Message)
class MessageAdmin(ChatItemAdmin):
    list_display = [
        "id",
        "sender",
        "receiver",
        "excerpt",
        "reply",
        "sent_at",
        "delivered",
        "read",
        "is_edited",
        "is_deleted",
        "is_removed",
    ]
    list_select_related = ["sender", "receiver"]
    list_filter = ["sent_at", RemovedFilter, DeletedFilter]
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
    inlines = [MultimediaInline, MessageReactionInline]


class MessageActionRowAdmin(admin.ModelAdmin):
    """A read-only list of one kind of message-action row (a reaction, a star, a "deleted for
    me"), searched by a user's or a message's id. Rows change only through
    :mod:`messaging.actions`."""

    list_select_related = ["user"]
    search_fields = ["user__id__exact", "message__id__exact"]
    search_help_text = "A user id or a message id."
    raw_id_fields = ["message", "user"]

    @admin.display(description="message", ordering="message_id")
    def message_link(self, row: Any) -> str:
        return _admin_link(self.model._meta.get_field("message").related_model, row.message_id)

    def get_search_results(self, request, queryset, search_term):
        # Ids exactly, on the indexed columns (the default casts them to text first).
        term = search_term.strip()
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        return queryset.filter(Q(user_id=int(term)) | Q(message_id=int(term))), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def register_action_rows(*models: type) -> None:
    """Register the reaction, star and "deleted for me" models of one kind of message, each
    listed read-only with its own time column (``reacted_at``, ``starred_at``, ``hidden_at``)."""
    for model in models:
        at = next(f.name for f in model._meta.concrete_fields if f.name.endswith("_at"))
        columns = ["emoji"] if hasattr(model, "emoji") else []
        admin.site.register(
            model,
            type(
                f"{model.__name__}Admin",
                (MessageActionRowAdmin,),
                {
                    "__module__": __name__,
                    "list_display": ["id", "message_link", "user", *columns, at],
                    "list_filter": [at],
                },
            ),
        )


register_action_rows(MessageReaction, MessageStar, MessageHide)


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
