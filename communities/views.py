"""HTML views of the Communities tab: my communities, one community (its groups and its
announcements), and the admin forms. They work without JavaScript; static/js/communities.js
adds announcements live as they arrive (``announcement.new``).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from communities import selectors, services
from communities.forms import AnnouncementForm, CommunityForm, CommunityGroupForm
from groups.selectors import group_for_member
from whatsapp.views import or_404, run_action, submit_form

# How many announcements the page shows (the API pages through all of them).
ANNOUNCEMENTS_SHOWN = 100


def _community_or_404(user, community_id: int):
    return or_404(selectors.community_for_member, user, community_id)


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
    created = submit_form(
        request,
        form,
        lambda data: services.create_community(
            request.user, name=data["community_name"], description=data["description"]
        ),
    )
    if created.done:
        return redirect("communities:detail", community_id=created.result.id)
    return render(
        request, "communities/list.html", _sidebar(request, form=form), status=created.status
    )


@login_required
@require_http_methods(["GET", "POST"])
def community_detail(request, community_id: int):
    """One community: its groups and announcements; POST posts an announcement (admins)."""
    community = _community_or_404(request.user, community_id)
    form = AnnouncementForm(request.POST or None)
    posted = submit_form(
        request,
        form,
        lambda data: services.post_announcement(
            request.user,
            community=community,
            content=data["content"],
            files=request.FILES.getlist("files"),
        ),
        fields={},  # every refusal is shown above the composer
    )
    if posted.done:
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
    return render(request, "communities/detail.html", context, status=posted.status)


def _act(request, community, action, success: str | None = None):
    run_action(request, action, success)
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
    deleted = run_action(
        request,
        lambda: services.delete_community(request.user, community=community),
        "Community deleted.",
    )
    if deleted:
        return redirect("communities:list")
    return redirect("communities:detail", community_id=community_id)


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
    link = or_404(selectors.community_group, request.user, community, group_id)
    return _act(
        request,
        community,
        lambda: services.remove_community_group(
            request.user, community=community, group=link.group
        ),
    )
