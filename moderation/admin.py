"""The trust-and-safety workflow in the admin: the Reports queue, group bans and the audit log.

The queue lists open reports first, oldest first. A report's page shows what was reported (as
it is now, images as thumbnails) and the snapshot copied when it was made. Actions (from the
list for many reports, or from a report's page) ask for a reason on a confirmation page and
go through :mod:`moderation.services`, which checks permissions and writes the audit log.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.models import User
from attachments.api import thumbnail_response
from attachments.kinds import media_kind
from chats.models import Message
from messaging.texts import MESSAGE_DELETED, MESSAGE_REMOVED
from moderation import selectors, services
from moderation.models import AuditLog, GroupBan, Report, ReportSnapshot
from whatsapp.errors import DomainError


@dataclass(frozen=True)
class ActionSpec:
    title: str
    permission: str  # codename in the moderation app
    reason_required: bool
    confirm: str
    done: str
    button: str = ""  # its label on a report's page


ACTIONS = {
    "dismiss": ActionSpec(
        "Dismiss reports", "change_report", False, "Dismiss", "Dismissed", "Dismiss"
    ),
    "remove_content": ActionSpec(
        "Remove the reported content",
        "remove_content",
        True,
        "Remove for everyone",
        "Removed the content of",
        "Remove content",
    ),
    "suspend_user": ActionSpec(
        "Suspend the reported users", "suspend_user", True, "Suspend", "Acted on", "Suspend user"
    ),
    "ban_from_group": ActionSpec(
        "Ban the reported users from the group",
        "ban_from_group",
        True,
        "Ban",
        "Acted on",
        "Ban from group",
    ),
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded in the audit log.",
    )

    def __init__(self, *args, required: bool = True, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if not required:
            self.fields["reason"].help_text = "Optional; recorded in the audit log."
        if members is not None:
            self.fields["member"] = forms.ModelChoiceField(
                label="Member to ban", queryset=members, help_text="A member of the group."
            )


def _render(name: str, **context) -> str:
    """One of the report page's fragments (``templates/admin/moderation/``), autoescaped."""
    return render_to_string(f"admin/moderation/{name}.html", context)


class ReadOnlyAdminMixin:
    """Shown in the admin, never added, changed or deleted there (evidence and history)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReportSnapshotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReportSnapshot
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "copied message"
    verbose_name_plural = "snapshot (copied when reported)"
    fields = ["sent_at", "sender_label", "kind", "original_id", "text", "attachments"]
    readonly_fields = fields

    @admin.display(description="content")
    def text(self, snapshot: ReportSnapshot):
        return _render("report/snapshot_text", snapshot=snapshot)

    @admin.display(description="media")
    def attachments(self, snapshot: ReportSnapshot):
        return _render("report/snapshot_media", snapshot=snapshot)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "kind",
        "reason",
        "reporter",
        "reported_user",
        "summary",
        "snapshot_count",
    ]
    list_display_links = ["id", "created_at"]
    list_filter = ["status", "reason", "kind", "created_at"]
    list_select_related = [
        "reporter",
        "reported_user",
        "group",
        "message",
        "group_message",
        "story",
        "resolved_by",
    ]
    search_fields = [
        "note",
        "reporter__phone_number",
        "reporter__name",
        "reported_user__phone_number",
        "reported_user__name",
        "group__name",
    ]
    date_hierarchy = "created_at"
    # Open reports first, then oldest first: the queue works from the longest waiting.
    ordering = [
        Case(
            When(status=Report.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "created_at",
        "id",
    ]
    fieldsets = [
        (
            "Report",
            {
                "fields": [
                    "id",
                    "status",
                    "kind",
                    "target_id",
                    "reason",
                    "note",
                    "reporter",
                    "blocked",
                    "created_at",
                ]
            },
        ),
        ("Reported", {"fields": ["reported_content", "reported_user_link", "group_link"]}),
        ("Resolution", {"fields": ["resolved_at", "resolved_by", "audit_trail"]}),
    ]
    readonly_fields = [
        "id",
        "status",
        "kind",
        "target_id",
        "reason",
        "note",
        "reporter",
        "blocked",
        "created_at",
        "reported_content",
        "reported_user_link",
        "group_link",
        "resolved_at",
        "resolved_by",
        "audit_trail",
    ]
    inlines = [ReportSnapshotInline]
    actions = ["dismiss_reports", "remove_reported_content", "suspend_reported_users", "ban_users"]

    class Media:
        css = {"all": ["css/moderation-admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(snapshot_total=Count("snapshots"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # reports are evidence

    def _allowed(self, request, permission: str) -> bool:
        return request.user.has_perm(f"moderation.{permission}")

    def has_remove_content_permission(self, request):
        return self._allowed(request, "remove_content")

    def has_suspend_user_permission(self, request):
        return self._allowed(request, "suspend_user")

    def has_ban_from_group_permission(self, request):
        return self._allowed(request, "ban_from_group")

    # --- columns and fields -----------------------------------------------------------------

    @admin.display(description="reported")
    def summary(self, report: Report) -> str:
        content = report.content
        if content is not None:
            if content.removed_at:
                return f"[removed] {report.get_kind_display()}"
            if getattr(content, "deleted_at", None):
                return f"[deleted by its sender] {report.get_kind_display()}"
            text = content.content or ("[media]" if report.kind != Report.Kind.STORY else "[story]")
            return truncatechars(text, 60)
        if report.kind == Report.Kind.GROUP and report.group:
            return f"group {report.group.name}"
        if report.kind == Report.Kind.USER and report.reported_user:
            return str(report.reported_user)
        return f"{report.get_kind_display()} #{report.target_id} (gone)"

    @admin.display(description="snapshot", ordering="snapshot_total")
    def snapshot_count(self, report: Report) -> int:
        return report.snapshot_total

    @admin.display(description="reported user")
    def reported_user_link(self, report: Report):
        user = report.reported_user
        if user is None:
            return "—"
        open_count = Report.objects.filter(reported_user=user, status=Report.Status.OPEN).count()
        return _render("report/reported_user", user=user, open_count=open_count)

    @admin.display(description="group")
    def group_link(self, report: Report):
        if report.group is None:
            return "—"
        return _render("report/group_link", **self._group_context(report))

    def _group_context(self, report: Report) -> dict:
        return {"group": report.group, "member_count": report.group.memberships.count()}

    @admin.display(description="what was reported, as it is now")
    def reported_content(self, report: Report):
        if report.kind == Report.Kind.MESSAGE and report.message:
            message = report.message
            return self._message_html(message, f"1:1 message to {message.receiver}")
        if report.kind == Report.Kind.GROUP_MESSAGE and report.group_message:
            message = report.group_message
            return self._message_html(message, f"message in group {message.group.name}")
        if report.kind == Report.Kind.STORY and report.story:
            return _render("report/reported_story", report=report, story=report.story)
        if report.kind == Report.Kind.USER and report.reported_user:
            return _render("report/reported_account", user=report.reported_user)
        if report.kind == Report.Kind.GROUP and report.group:
            return _render("report/reported_group", **self._group_context(report))
        kind = report.get_kind_display().lower()
        return f"The reported {kind} #{report.target_id} no longer exists."

    def _message_html(self, message, where: str):
        admin_name = "chats_message" if isinstance(message, Message) else "groups_groupmessage"
        media = []
        if not message.removed_at and not message.deleted_at:
            media = [{"row": row, "kind": media_kind(row.file_type)} for row in message.media.all()]
        return _render(
            "report/reported_message",
            message=message,
            where=where,
            change_url_name=f"admin:{admin_name}_change",
            removed_text=MESSAGE_REMOVED,
            deleted_text=MESSAGE_DELETED,
            media=media,
        )

    @admin.display(description="audit log")
    def audit_trail(self, report: Report):
        entries = list(report.audit_entries.order_by("created_at", "id"))
        if not entries:
            return "—"
        return _render("report/audit_trail", entries=entries)

    # --- the report page: read-only, with action buttons ----------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if report is not None:
            extra_context["moderation_actions"] = [
                (
                    ACTIONS[name].button,
                    reverse("admin:moderation_report_act", args=[report.id, name]),
                )
                for name in selectors.report_actions_for(request.user, report=report)
            ]
        extra_context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/act/<str:action>/", view(self.act_view), name="moderation_report_act"),
            path(
                "evidence/<int:snapshot_id>/<int:index>/",
                view(self.evidence_view),
                name="moderation_report_evidence",
            ),
            path(
                "<int:pk>/story-thumbnail/",
                view(self.story_thumbnail_view),
                name="moderation_report_story_thumbnail",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request: HttpRequest, pk: int, action: str):
        """One action on one report, after a confirmation page asking why."""
        spec = ACTIONS.get(action)
        report = self.get_object(request, str(pk))
        if spec is None or report is None:
            raise Http404
        if not self.has_view_permission(request, report) or not self._allowed(
            request, spec.permission
        ):
            raise PermissionDenied
        members = None
        if action == "ban_from_group" and report.group and report.reported_user is None:
            members = User.objects.filter(group_memberships__group=report.group).order_by(
                "name", "id"
            )
        form = ReasonForm(
            request.POST if request.method == "POST" else None,
            required=spec.reason_required,
            members=members,
        )
        if request.method == "POST" and form.is_valid():
            self._perform(
                request,
                [report],
                action,
                form.cleaned_data["reason"],
                member=form.cleaned_data.get("member"),
            )
            return redirect("admin:moderation_report_change", report.id)
        return self._confirmation(
            request,
            spec,
            [report],
            form,
            back_url=reverse("admin:moderation_report_change", args=[report.id]),
        )

    def evidence_view(self, request: HttpRequest, snapshot_id: int, index: int):
        """A thumbnail copied with a report (staff who may view reports only)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        snapshot = get_object_or_404(ReportSnapshot, id=snapshot_id)
        items = snapshot.media or []
        if index >= len(items) or not items[index].get("evidence"):
            raise Http404
        name = items[index]["evidence"]
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(
            handle, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def story_thumbnail_view(self, request: HttpRequest, pk: int):
        report = self.get_object(request, str(pk))
        if report is None or report.story is None:
            raise Http404
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        return thumbnail_response(report.story.thumbnail, request=request)

    # --- list actions -----------------------------------------------------------------------

    @admin.action(description="Dismiss selected reports", permissions=["change"])
    def dismiss_reports(self, request, queryset):
        return self._bulk(request, queryset, "dismiss")

    @admin.action(
        description="Remove the reported content (messages, stories)",
        permissions=["remove_content"],
    )
    def remove_reported_content(self, request, queryset):
        return self._bulk(request, queryset, "remove_content")

    @admin.action(description="Suspend the reported users", permissions=["suspend_user"])
    def suspend_reported_users(self, request, queryset):
        return self._bulk(request, queryset, "suspend_user")

    @admin.action(
        description="Ban the reported users from the group (group messages)",
        permissions=["ban_from_group"],
    )
    def ban_users(self, request, queryset):
        return self._bulk(request, queryset, "ban_from_group")

    def _bulk(self, request, queryset, action: str):
        spec = ACTIONS[action]
        confirmed = request.POST.get("post") == "yes"
        form = ReasonForm(request.POST if confirmed else None, required=spec.reason_required)
        if confirmed and form.is_valid():
            self._perform(request, list(queryset), action, form.cleaned_data["reason"])
            return None
        return self._confirmation(
            request,
            spec,
            list(queryset),
            form,
            action_name=request.POST.get("action"),
            back_url=request.get_full_path(),
        )

    def _confirmation(self, request, spec, reports, form, *, back_url, action_name=None):
        context = {
            **self.admin_site.each_context(request),
            "title": spec.title,
            "opts": self.model._meta,
            "spec": spec,
            "reports": reports,
            "form": form,
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "back_url": back_url,
        }
        return TemplateResponse(request, "admin/moderation/confirm_action.html", context)

    def _perform(self, request, reports, action: str, reason: str, *, member=None) -> None:
        done = 0
        for report in reports:
            try:
                services.act_on_report(
                    request.user, report=report, action=action, reason=reason, member=member
                )
            except DomainError as exc:
                self.message_user(request, f"Report #{report.id}: {exc.detail}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request, f"{ACTIONS[action].done} {done} report(s).", messages.SUCCESS
            )


class GroupBanForm(forms.ModelForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded in the audit log."
    )

    class Meta:
        model = GroupBan
        fields = ["group", "user", "reason"]

    def clean(self):
        data = super().clean()
        group, user = data.get("group"), data.get("user")
        if group and user and GroupBan.objects.filter(group=group, user=user).exists():
            raise forms.ValidationError("This user is already banned from this group.")
        return data


@admin.register(GroupBan)
class GroupBanAdmin(admin.ModelAdmin):
    """Bans are made through the service (removal + audit); lifting one asks why."""

    form = GroupBanForm
    list_display = ["id", "group", "user", "banned_by", "created_at", "reason"]
    list_select_related = ["group", "user", "banned_by"]
    list_filter = ["created_at"]
    search_fields = ["group__name", "user__name", "user__phone_number"]
    raw_id_fields = ["group", "user"]
    actions = ["lift_bans"]

    def has_add_permission(self, request):
        return self.has_ban_from_group_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_ban_from_group_permission(self, request):
        return request.user.has_perm("moderation.ban_from_group")

    def save_model(self, request, obj: GroupBan, form, change):
        try:
            ban = services.ban_from_group(
                request.user, group=obj.group, user=obj.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            raise PermissionDenied(exc.detail) from exc
        obj.pk = ban.pk

    @admin.action(description="Lift selected bans", permissions=["ban_from_group"])
    def lift_bans(self, request, queryset):
        confirmed = request.POST.get("post") == "yes"
        form = ReasonForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            for ban in queryset.select_related("group", "user"):
                services.lift_group_ban(request.user, ban=ban, reason=form.cleaned_data["reason"])
            self.message_user(request, "Lifted the selected bans.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Lift group bans",
            "opts": self.model._meta,
            "spec": ActionSpec("Lift group bans", "ban_from_group", True, "Lift", "Lifted"),
            "reports": list(queryset.select_related("group", "user")),
            "form": form,
            "action_name": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "back_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/moderation/confirm_action.html", context)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for everyone, superusers included."""

    list_display = [
        "created_at",
        "actor_label",
        "action",
        "target_kind",
        "target_id",
        "target_label",
        "report_link",
        "short_reason",
    ]
    list_filter = ["action", "target_kind", "created_at"]
    search_fields = ["actor_label", "target_label", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["report"]
    fields = [
        "created_at",
        "actor",
        "actor_label",
        "action",
        "target_kind",
        "target_id",
        "target_label",
        "report_link",
        "reason",
        "details",
    ]
    readonly_fields = fields

    @admin.display(description="report")
    def report_link(self, entry: AuditLog):
        if entry.report_id is None:
            return "—"
        return _render("auditlog/report_link", report_id=entry.report_id)

    @admin.display(description="reason")
    def short_reason(self, entry: AuditLog) -> str:
        return truncatechars(entry.reason, 80)
