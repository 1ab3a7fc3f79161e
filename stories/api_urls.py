from django.urls import path

from stories import api

app_name = "stories_api"
urlpatterns = [
    path("stories/", api.StoryListView.as_view(), name="story-list"),
    path("stories/<id:story_id>/", api.StoryDetailView.as_view(), name="story-detail"),
    path("stories/<id:story_id>/view/", api.StoryViewRecordView.as_view(), name="story-view"),
    path("stories/<id:story_id>/views/", api.StoryViewerListView.as_view(), name="story-views"),
    path("stories/<id:story_id>/file/", api.StoryFileView.as_view(), name="story-file"),
    path(
        "stories/<id:story_id>/thumbnail/",
        api.StoryThumbnailView.as_view(),
        name="story-thumbnail",
    ),
]
