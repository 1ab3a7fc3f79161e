from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from whatsapp.health import healthz

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("chats.api_urls")),
    path("", include("chats.media_urls")),
    path("", include("groups.api_urls")),
    path("", include("communities.api_urls")),
    path("", include("stories.api_urls")),
    path("", include("calls.api_urls")),
    path("", include("moderation.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("chats.urls")),
    path("", include("groups.urls")),
    path("", include("communities.urls")),
    path("", include("stories.urls")),
    path("", include("calls.urls")),
    path("", include("moderation.urls")),
]
