from django.urls import path

from stories import api

app_name = "stories_api"
urlpatterns = [
    path("stories/", api.StoryListView.as_view(), name="story-list"),
    path("stories/<int:story_id>/", api.StoryDetailView.as_view(), name="story-detail"),
    path("stories/<int:story_id>/view/", api.StoryViewRecordView.as_view(), name="story-view"),
    path("stories/<int:story_id>/views/", api.StoryViewerListView.as_view(), name="story-views"),
    path("stories/<int:story_id>/file/", api.StoryFileView.as_view(), name="story-file"),
    path(
        "stories/<int:story_id>/thumbnail/",
        api.StoryThumbnailView.as_view(),
        name="story-thumbnail",
    ),
]
