"""Staff moderation of stories: list, search, and remove them with their files."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.template.defaultfilters import truncatechars

from moderation.actions import remove_selected
from stories import services
from stories.models import Story, StoryView


class StoryViewInline(admin.TabularInline):
    model = StoryView
    extra = 0
    can_delete = False
    fields = ["user", "viewed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "excerpt", "file_type", "created_at", "expires_at", "view_count"]
    list_select_related = ["user"]
    list_filter = ["created_at", "expires_at", "file_type"]
    search_fields = ["content", "user__phone_number", "user__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "expires_at", "file_type", "width", "height", "size"]
    actions = ["remove_stories"]
    inlines = [StoryViewInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(views_count=Count("views"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would leave the files behind
        return actions

    @admin.display(description="content")
    def excerpt(self, story: Story) -> str:
        return truncatechars(story.content, 60)

    @admin.display(description="views", ordering="views_count")
    def view_count(self, story: Story) -> int:
        return story.views_count

    @admin.action(description="Remove selected stories", permissions=["delete"])
    def remove_stories(self, request, queryset: QuerySet[Story]) -> None:
        # Through moderation: a tombstone with its files deleted, audited, dropped live by viewers.
        remove_selected(self, request, queryset, noun="story(ies)")

    def delete_model(self, request, obj: Story) -> None:
        services.remove_stories(Story.objects.filter(id=obj.id))

    def delete_queryset(self, request, queryset: QuerySet[Story]) -> None:
        services.remove_stories(queryset)


@admin.register(StoryView)
class StoryViewAdmin(admin.ModelAdmin):
    list_display = ["id", "story", "user", "viewed_at"]
    list_select_related = ["story", "user"]
    list_filter = ["viewed_at"]
    search_fields = ["user__phone_number", "user__name", "story__content"]
    raw_id_fields = ["story", "user"]
