"""REST routes of attachments, under the ``media_api`` namespace."""

from django.urls import path

from attachments import api

app_name = "media_api"
urlpatterns = [
    path("media/<id:multimedia_id>/", api.MediaDetailView.as_view(), name="media-detail"),
    path(
        "media/<id:multimedia_id>/download/",
        api.MediaDownloadView.as_view(),
        name="media-download",
    ),
    path(
        "media/<id:multimedia_id>/thumbnail/",
        api.MediaThumbnailView.as_view(),
        name="media-thumbnail",
    ),
]
