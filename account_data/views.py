"""Browser page of the account-wide data: the export download from the profile page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from account_data.api import export_response
from accounts.views import profile
from whatsapp.errors import RateLimited


@login_required
@require_GET
def export_data(request: HttpRequest) -> HttpResponse:
    """Download everything stored about me as a JSON file (as GET /api/v1/users/me/export/).

    Past ``EXPORT_RATE``: the profile page again (429), saying when to try again.
    """
    try:
        return export_response(request.user)
    except RateLimited as exc:
        messages.error(request, exc.detail)
        response = profile(request)
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
        return response
