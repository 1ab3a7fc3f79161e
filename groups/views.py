"""HTML views of groups: create, the group conversation with its info panel, message info and
forwarding.

They work without JavaScript (forms post here and redirect); static/js/groups.js then takes
over sending, receipts, ticks and live updates over /ws/. The side pane is the chats app's chat
list, so the group page looks like any open chat.
"""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from chats.views import chat_sidebar
from groups import selectors, services
from groups.forms import (
    GroupCreateForm,
    GroupForwardForm,
    GroupMessageForm,
    GroupRenameForm,
    MemberAddForm,
    MemberAdminForm,
)
from whatsapp.errors import DomainError, Forbidden, NotFound
from whatsapp.pagination import history_page
from whatsapp.views import or_404, post_composer, run_action, submit_form


def _group_or_404(user, group_id: int):
    return or_404(selectors.group_for_member, user, group_id)


def _member_or_404(group, user_id: int):
    return or_404(selectors.group_member, group, user_id)


@login_required
@require_http_methods(["GET", "POST"])
def new_group(request):
    """Create a group: a name and members picked from my contacts."""
    contacts = selectors.addable_contacts(request.user)
    form = GroupCreateForm(request.POST or None, contacts=contacts)

    def create(data):
        chosen = set(data["members"])
        return services.create_group(
            request.user,
            name=data["group_name"],
            members=[user for user in contacts if user.id in chosen],
        )

    created = submit_form(
        request, form, create, fields={"group_name": "group_name", "member_ids": "members"}
    )
    if created.done:
        return redirect("groups:detail", group_id=created.result.id)
    context = chat_sidebar(request) | {"form": form, "candidates": contacts}
    return render(request, "groups/new.html", context, status=created.status)


def _chat_names(user, members, messages) -> dict[int, str]:
    """Names of quotes and reactions (chats/_bubble.html, static/js/message-actions.js): the
    members, "You" for me, and who sent the page's messages (someone who left)."""
    names = {m.user_id: m.user.display_name for m in members}
    for message in messages:
        if message.sender_id != user.id and message.sender_id not in names:
            names[message.sender_id] = message.sender.display_name
    return names | {user.id: "You"}


@login_required
@require_http_methods(["GET", "POST"])
def group_chat(request, group_id: int):
    """The open group: history, composer and the group info panel; POST sends a message."""
    group = _group_or_404(request.user, group_id)
    form = GroupMessageForm(request.POST or None)
    send = partial(services.send_group_message, request.user, group=group)
    sent = post_composer(request, form, send)
    if sent.done:
        return redirect("groups:detail", group_id=group.id)
    history = history_page(
        request,
        selectors.group_history(request.user, group),
        api_url=reverse("groups_api:message_list", args=[group.id]),
    )
    services.deliver_returned(request.user, history.messages)
    members = list(selectors.group_members(group))
    context = chat_sidebar(request, active_group_id=group.id) | {
        "group": group,
        "members": members,
        "member_names": {m.user_id: m.user.display_name for m in members},
        "chat_names": _chat_names(request.user, members, history.messages),
        "addable": selectors.addable_contacts(request.user, group) if group.is_admin else [],
        "form": form,
        "rename_form": GroupRenameForm(initial={"group_name": group.name}),
        "history": history.messages,
        "older_link": history.older_link,
        "older_api": history.older_api,
        "max_length": settings.MESSAGE_MAX_LENGTH,
    }
    return render(request, "groups/group.html", context, status=sent.status)


def _act(request, group, action, success: str | None = None):
    """Run one admin action; report a refusal as a message on the group page."""
    run_action(request, action, success)
    return redirect("groups:detail", group_id=group.id)


@login_required
@require_POST
def rename(request, group_id: int):
    group = _group_or_404(request.user, group_id)
    form = GroupRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a group name of at most 100 characters.")
        return redirect("groups:detail", group_id=group.id)
    name = form.cleaned_data["group_name"]
    return _act(request, group, lambda: services.rename_group(request.user, group=group, name=name))


@login_required
@require_POST
def delete(request, group_id: int):
    group = _group_or_404(request.user, group_id)
    deleted = run_action(
        request, lambda: services.delete_group(request.user, group=group), "Group deleted."
    )
    if deleted:
        return redirect("chats:home")
    return redirect("groups:detail", group_id=group_id)


@login_required
@require_POST
def add_member(request, group_id: int):
    group = _group_or_404(request.user, group_id)
    form = MemberAddForm(request.POST, contacts=selectors.addable_contacts(request.user))
    if not form.is_valid():
        messages.error(request, "Choose one of your contacts to add.")
        return redirect("groups:detail", group_id=group.id)
    member = selectors.users_by_ids([form.cleaned_data["user_id"]], field="user_id")[0]
    return _act(
        request,
        group,
        lambda: services.add_group_member(request.user, group=group, member=member),
        f"{member.display_name} was added.",
    )


@login_required
@require_POST
def remove_member(request, group_id: int, user_id: int):
    group = _group_or_404(request.user, group_id)
    membership = _member_or_404(group, user_id)
    if user_id == request.user.id:
        return leave(request, group_id)
    return _act(
        request,
        group,
        lambda: services.remove_group_member(request.user, group=group, member=membership.user),
        f"{membership.user.display_name} was removed.",
    )


@login_required
@require_POST
def set_admin(request, group_id: int, user_id: int):
    group = _group_or_404(request.user, group_id)
    membership = _member_or_404(group, user_id)
    form = MemberAdminForm(request.POST)
    form.is_valid()
    is_admin = form.cleaned_data.get("is_admin", False)
    return _act(
        request,
        group,
        lambda: services.set_group_admin(
            request.user, group=group, member=membership.user, is_admin=is_admin
        ),
    )


@login_required
@require_POST
def leave(request, group_id: int):
    group = _group_or_404(request.user, group_id)
    services.leave_group(request.user, group=group)
    messages.success(request, f"You left {group.name}.")
    return redirect("chats:home")


@login_required
def message_info(request, group_id: int, group_message_id: int):
    """Who received and who read one of my messages."""
    group = _group_or_404(request.user, group_id)
    try:
        message = selectors.visible_group_message(request.user, group.id, group_message_id)
        receipts = list(selectors.message_receipts(request.user, message))
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    context = chat_sidebar(request) | {
        "group": group,
        "message": message,
        "read": [r for r in receipts if r.read_at],
        "delivered": [r for r in receipts if r.delivered_at and not r.read_at],
        "waiting": [r for r in receipts if not r.delivered_at],
    }
    return render(request, "groups/message_info.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def forward(request, group_id: int, group_message_id: int):
    """Choose groups to forward a group message to."""
    group = _group_or_404(request.user, group_id)
    message = or_404(selectors.visible_group_message, request.user, group.id, group_message_id)
    targets = list(selectors.groups_for(request.user))
    form = GroupForwardForm(request.POST or None, groups=targets)
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["group_ids"])
        try:
            copies = services.forward_group_message(
                request.user, message=message, groups=[g for g in targets if g.id in chosen]
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            target = copies[0].group_id if len(copies) == 1 else group.id
            return redirect("groups:detail", group_id=target)
    context = chat_sidebar(request) | {
        "group": group,
        "message": message,
        "form": form,
        "targets": targets,
    }
    return render(request, "groups/forward.html", context, status=400 if form.errors else 200)
