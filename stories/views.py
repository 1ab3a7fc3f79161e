"""The Status tab: my status, contacts' recent and viewed updates, and the full-screen viewer."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stories import selectors, services
from stories.forms import StoryForm
from stories.serializers import StorySerializer
from whatsapp.errors import DomainError
from whatsapp.views import show_on_form


@login_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    form = StoryForm(request.POST or None, request.FILES or None)
    code = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.post_story(
                request.user,
                content=form.cleaned_data["content"],
                background_color=form.cleaned_data["background_color"] or None,
                file=form.cleaned_data["file"],
            )
        except DomainError as exc:
            show_on_form(form, exc)
            code = exc.status_code
        else:
            return redirect("stories:status")
    elif request.method == "POST":
        code = 400
    feed = selectors.status_feed(request.user)
    stories = [
        story for group in [feed.mine, *feed.recent, *feed.viewed] for story in group.stories
    ]
    context = {
        "nav_active": "status",
        "feed": feed,
        "form": form,
        "stories_data": StorySerializer(stories, many=True, context={"request": request}).data,
    }
    return render(request, "stories/status.html", context, status=code)
