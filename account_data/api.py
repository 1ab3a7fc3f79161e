"""REST endpoint of the account-wide data: GET /api/v1/users/me/export/."""

import json

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from account_data import services
from accounts.api import THROTTLED
from accounts.models import User


class MeExportView(APIView):
    @extend_schema(
        tags=["users"],
        summary="Download my data",
        description="Everything stored about me as one JSON file (a download): profile, "
        "contacts, blocks, my 1:1 messages (sent and received), my groups and the group "
        "messages I sent, my stories, my calls, and the files I uploaded (with download URLs). "
        "At most `EXPORT_RATE` exports per user (default 5 an hour, the profile page's "
        "included): beyond it 429 `rate_limited` with Retry-After.",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The export."),
            429: THROTTLED,
        },
    )
    def get(self, request):
        return export_response(request.user)


def export_response(user: User) -> HttpResponse:
    """The export of ``user``'s data as a JSON attachment (shared with the profile page).

    Raises RateLimited (429, ``retry_after``) past ``EXPORT_RATE`` exports of ``user`` (the
    service counts them).
    """
    body = json.dumps(services.export_user_data(user), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="whatsapp-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
