"""Staff moderation of accounts: users (deactivate, reactivate, drop picture), contacts, blocks."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.utils.html import format_html

from accounts import services
from accounts.models import Block, Contact, User
from accounts.phone import normalize_phone_number
from moderation.actions import delete_from_admin, reinstate_from_admin, suspend_from_admin
from whatsapp.errors import DomainError


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone_number", "name")
        field_classes = {}

    def clean_phone_number(self):
        return normalize_phone_number(self.cleaned_data.get("phone_number"))


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}

    def clean_phone_number(self):
        return normalize_phone_number(self.cleaned_data.get("phone_number"))


class StaffPasswordForm(AdminPasswordChangeForm):
    """Staff set a user's password through the service: the token is revoked, the user's
    other sessions and sockets are signed out."""

    def save(self, commit=True):
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        return services.set_password(self.user, password=password)


def _moderate(modeladmin, request, queryset, service, done: str) -> None:
    count = 0
    for user in queryset:
        try:
            service(request.user, user=user)
        except DomainError as exc:
            modeladmin.message_user(request, f"{user}: {exc.detail}", messages.WARNING)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{done} {count} user(s).", messages.SUCCESS)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = StaffPasswordForm
    list_display = ("phone_number", "name", "is_active", "is_staff", "created_at", "last_seen")
    list_display_links = ("phone_number", "name")
    list_filter = ("is_active", "is_staff", "created_at")
    search_fields = ("phone_number", "name")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "picture_preview",
        "profile_picture",
        "profile_thumbnail",
        "created_at",
        "updated_at",
        "last_seen",
        "last_login",
    )
    fieldsets = (
        (None, {"fields": ("phone_number", "password")}),
        ("Profile", {"fields": ("name", "status", "picture_preview", "profile_picture")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login", "last_seen")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone_number", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["deactivate_users", "reactivate_users", "remove_profile_pictures"]

    @admin.display(description="Picture")
    def picture_preview(self, user: User):
        if not user.profile_thumbnail:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="96" height="96"></a>',
            user.profile_picture_url,
            user.profile_thumbnail_url,
        )

    @admin.action(description="Deactivate selected users")
    def deactivate_users(self, request, queryset):
        # Audited as a suspension.
        _moderate(self, request, queryset, suspend_from_admin, "Deactivated")

    @admin.action(description="Reactivate selected users")
    def reactivate_users(self, request, queryset):
        _moderate(self, request, queryset, reinstate_from_admin, "Reactivated")

    @admin.action(description="Remove profile picture of selected users")
    def remove_profile_pictures(self, request, queryset):
        with_picture = [user for user in queryset if user.profile_picture]
        _moderate(
            self, request, with_picture, services.remove_profile_picture, "Removed the picture of"
        )

    def save_model(self, request, obj, form, change):
        """Unticking or ticking "Active" suspends or reinstates through the moderation
        services (token revoked, sockets closed, audited), as the list actions do."""
        toggled = change and "is_active" in form.changed_data
        if toggled:
            activate = obj.is_active
            obj.is_active = not activate  # the service makes the change
        super().save_model(request, obj, form, change)
        if toggled:
            service = reinstate_from_admin if activate else suspend_from_admin
            try:
                service(request.user, user=obj)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)

    # Deleting a user erases the account instead of removing the row, so the conversations
    # other people had with them stay whole (docs/reliability.md, "Deleting an account").
    # It is audited as a moderation action.
    def delete_model(self, request, obj):
        delete_from_admin(request.user, user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            delete_from_admin(request.user, user=user)

    def get_deleted_objects(self, objs, request):
        """The confirmation lists the accounts only: nothing cascades, their messages stay."""
        users = [f"{User._meta.verbose_name.capitalize()}: {user}" for user in objs]
        protected = []
        if any(user.pk == request.user.pk for user in objs):
            protected = ["You cannot delete your own account."]
        return users, {User._meta.verbose_name_plural: len(users)}, set(), protected


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "contact_user", "added_at")
    list_select_related = ("user", "contact_user")
    search_fields = (
        "user__phone_number",
        "user__name",
        "contact_user__phone_number",
        "contact_user__name",
    )
    list_filter = ("added_at",)
    autocomplete_fields = ("user", "contact_user")
    readonly_fields = ("added_at",)


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("id", "blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = (
        "blocker__phone_number",
        "blocker__name",
        "blocked__phone_number",
        "blocked__name",
    )
    list_filter = ("created_at",)
    autocomplete_fields = ("blocker", "blocked")
    readonly_fields = ("created_at",)
