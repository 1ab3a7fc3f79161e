"""HTML-view plumbing shared by every app: forms posted through a service, refusals shown.

Domain errors map to HTTP once for the API (whatsapp.api); pages show them instead: on the form
that was posted (:func:`show_on_form`, :func:`submit_form`), as a flash message
(:func:`run_action`), or as a 404 page for what the user may not see (:func:`or_404`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest

from whatsapp.errors import DomainError, FieldErrors, NotFound

T = TypeVar("T")


def or_404(selector: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a selector; what it says is not found (or not visible) is a 404 page."""
    try:
        return selector(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@dataclass(frozen=True)
class Submission:
    """How a posted form went: ``done`` with the service's ``result``, or the ``status`` to
    render the form again with (200 when nothing was posted)."""

    done: bool = False
    result: Any = None
    status: int = 200


def submit_form(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], Any],
    *,
    fields: Mapping[str, str] | None = None,
) -> Submission:
    """On POST, run ``action(form.cleaned_data)`` (one service call) if the form is valid.

    An invalid form is a 400. A DomainError from the service goes on the form
    (:func:`show_on_form`), with the error's status.
    """
    if request.method != "POST":
        return Submission()
    if not form.is_valid():
        return Submission(status=400)
    try:
        result = action(form.cleaned_data)
    except DomainError as exc:
        show_on_form(form, exc, fields=fields)
        return Submission(status=exc.status_code)
    return Submission(done=True, result=result)


def show_on_form(
    form: forms.Form, exc: DomainError, *, fields: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal on the posted form: each field's messages (all of them for
    FieldErrors) on the form field of that name (``fields`` maps the service's names to the
    form's instead), the rest on the form as a whole."""
    errors = exc.errors if isinstance(exc, FieldErrors) else {exc.field: [exc.detail]}
    if fields is None:
        fields = {name: name for name in form.fields}
    for name, texts in errors.items():
        form.add_error(fields.get(name), texts)


def post_composer(request: HttpRequest, form: forms.Form, send: Callable[..., Any]) -> Submission:
    """Send a posted message composer (content, client_id, attached files) through ``send``.

    ``send`` is a send service with its sender and chat bound (the send pipeline applies the
    rate limit, as for every face).
    """

    def action(data: dict[str, Any]) -> Any:
        return send(
            content=data["content"],
            client_id=data["client_id"] or None,
            files=request.FILES.getlist("files"),
        )

    return submit_form(request, form, action)


def run_action(request: HttpRequest, action: Callable[[], Any], success: str | None = None) -> bool:
    """Run one service call of a page's button; a refusal becomes an error message.

    What the user may not see is a 404 page; on success, ``success`` (if any) is shown.
    Returns whether the action was done.
    """
    try:
        action()
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
        return False
    if success:
        messages.success(request, success)
    return True
