"""The browser's report page: /report/?kind=message&id=42 (thin: the service does the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from chats.views import chat_sidebar
from moderation import selectors, services
from moderation.forms import ReportForm
from moderation.models import Report
from whatsapp.errors import DomainError, NotFound, RateLimited
from whatsapp.views import show_on_form


def _target_or_404(request: HttpRequest):
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind", "")
    try:
        target_id = int(params.get("id", ""))
    except ValueError as exc:
        raise Http404("No such object.") from exc
    if kind not in Report.Kind.values:
        raise Http404("No such object.")
    try:
        return selectors.report_target(request.user, kind=kind, target_id=target_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _back_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report what ``?kind=&id=`` names, if I can see it: a reason, a note, "Also block"."""
    target = _target_or_404(request)
    person = target.person
    can_block = person is not None and person.id != request.user.id
    form = ReportForm(
        request.POST or None,
        block_label=f"Also block {person.display_name}" if can_block else None,
    )
    back = _back_url(request, target.url_for(request.user))
    status_code = 200
    retry_after = None
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            try:
                services.create_report(
                    request.user,
                    kind=target.kind,
                    target_id=target.target_id,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    block=form.cleaned_data.get("block", False),
                )
            except DomainError as exc:
                show_on_form(form, exc)
                status_code = exc.status_code
                if isinstance(exc, RateLimited):
                    retry_after = getattr(exc, "retry_after", None)
            else:
                text = "Report sent. Thank you: our team will review it."
                if form.cleaned_data.get("block"):
                    text += f" {person.display_name} is blocked."
                messages.success(request, text)
                return redirect(back)
    context = chat_sidebar(request) | {
        "target": target,
        "form": form,
        "back_url": back,
    }
    response = render(request, "moderation/report.html", context, status=status_code)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
