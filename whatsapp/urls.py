from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import whatsapp.converters  # noqa: F401 - registers <id:...> before the apps' URLconfs load
from whatsapp.health import healthz
from whatsapp.middleware import csp_update

SWAGGER_CDN = "https://cdn.jsdelivr.net"

api_v1 = [
    path("", include("account_data.api_urls")),
    path("", include("chats.api_urls")),
    path("", include("attachments.urls")),
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
    path(
        "api/docs/",
        # The Swagger UI loads its bundle from a CDN and starts it with an inline script.
        csp_update(
            script_src=(SWAGGER_CDN, "'unsafe-inline'"),
            style_src=(SWAGGER_CDN, "'unsafe-inline'"),
            img_src=(SWAGGER_CDN,),
        )(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include("account_data.urls")),
    path("", include("chats.urls")),
    path("", include("groups.urls")),
    path("", include("communities.urls")),
    path("", include("stories.urls")),
    path("", include("calls.urls")),
    path("", include("moderation.urls")),
]
