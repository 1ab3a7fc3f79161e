"""HTML views of the Communities tab: my communities, one community (its groups and its
announcements), and the admin forms. They work without JavaScript; static/js/communities.js
adds announcements live as they arrive (``announcement.new``).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from communities import selectors, services
from communities.forms import AnnouncementForm, CommunityForm, CommunityGroupForm
from groups.selectors import group_for_member
from whatsapp.errors import DomainError, NotFound

# How many announcements the page shows (the API pages through all of them).
ANNOUNCEMENTS_SHOWN = 100


def _community_or_404(user, community_id: int):
    try:
        return selectors.community_for_member(user, community_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _sidebar(request, *, active_id: int | None = None, form: CommunityForm | None = None) -> dict:
    return {
        "nav_active": "communities",
        "communities": list(selectors.communities_for(request.user)),
        "active_community_id": active_id,
        "community_form": form or CommunityForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def community_list(request):
    """The Communities tab; POST creates a community."""
    form = CommunityForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            try:
                community = services.create_community(
                    request.user,
                    name=form.cleaned_data["community_name"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
                status_code = exc.status_code
            else:
                return redirect("communities:detail", community_id=community.id)
    return render(
        request, "communities/list.html", _sidebar(request, form=form), status=status_code
    )


@login_required
@require_http_methods(["GET", "POST"])
def community_detail(request, community_id: int):
    """One community: its groups and announcements; POST posts an announcement (admins)."""
    community = _community_or_404(request.user, community_id)
    form = AnnouncementForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            try:
                services.post_announcement(
                    request.user,
                    community=community,
                    content=form.cleaned_data["content"],
                    files=request.FILES.getlist("files"),
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                status_code = exc.status_code
            else:
                return redirect("communities:detail", community_id=community.id)
    announcements = list(selectors.announcements(community)[:ANNOUNCEMENTS_SHOWN])
    linkable = list(selectors.linkable_groups(request.user)) if community.is_admin else []
    context = _sidebar(request, active_id=community.id) | {
        "community": community,
        "community_groups": list(selectors.community_groups(request.user, community)),
        "announcements": list(reversed(announcements)),
        "form": form,
        "group_form": CommunityGroupForm(groups=linkable),
        "linkable": linkable,
        "max_length": settings.MESSAGE_MAX_LENGTH,
    }
    return render(request, "communities/detail.html", context, status=status_code)


def _act(request, community, action, success: str | None = None):
    try:
        action()
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        if success:
            messages.success(request, success)
    return redirect("communities:detail", community_id=community.id)


@login_required
@require_POST
def update(request, community_id: int):
    community = _community_or_404(request.user, community_id)
    form = CommunityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a community name of at most 100 characters.")
        return redirect("communities:detail", community_id=community.id)
    return _act(
        request,
        community,
        lambda: services.update_community(
            request.user,
            community=community,
            name=form.cleaned_data["community_name"],
            description=form.cleaned_data["description"],
        ),
    )


@login_required
@require_POST
def delete(request, community_id: int):
    community = _community_or_404(request.user, community_id)
    try:
        services.delete_community(request.user, community=community)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("communities:detail", community_id=community_id)
    messages.success(request, "Community deleted.")
    return redirect("communities:list")


@login_required
@require_POST
def add_group(request, community_id: int):
    community = _community_or_404(request.user, community_id)
    form = CommunityGroupForm(request.POST, groups=selectors.linkable_groups(request.user))
    if not form.is_valid():
        messages.error(request, "Choose a group you administer.")
        return redirect("communities:detail", community_id=community.id)

    def add():
        group = group_for_member(request.user, form.cleaned_data["group_id"])
        services.add_community_group(request.user, community=community, group=group)

    return _act(request, community, add)


@login_required
@require_POST
def remove_group(request, community_id: int, group_id: int):
    community = _community_or_404(request.user, community_id)
    try:
        link = selectors.community_group(request.user, community, group_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return _act(
        request,
        community,
        lambda: services.remove_community_group(
            request.user, community=community, group=link.group
        ),
    )
