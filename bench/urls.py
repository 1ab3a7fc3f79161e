"""``whatsapp.urls`` plus the Django baseline: a view that answers a trivial request."""

from django.http import JsonResponse
from django.urls import path

from whatsapp.urls import urlpatterns as app_urlpatterns


def trivial(request):
    """The cheapest answer Django gives through the full middleware stack: no query."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *app_urlpatterns]
