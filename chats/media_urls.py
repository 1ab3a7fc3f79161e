from django.urls import path

from chats import media_api

app_name = "media_api"
urlpatterns = [
    path("media/<id:multimedia_id>/", media_api.MediaDetailView.as_view(), name="media-detail"),
    path(
        "media/<id:multimedia_id>/download/",
        media_api.MediaDownloadView.as_view(),
        name="media-download",
    ),
    path(
        "media/<id:multimedia_id>/thumbnail/",
        media_api.MediaThumbnailView.as_view(),
        name="media-thumbnail",
    ),
]
