from django.urls import path

from communities import api

app_name = "communities_api"
urlpatterns = [
    path("communities/", api.CommunityListView.as_view(), name="community_list"),
    path(
        "communities/<int:community_id>/",
        api.CommunityDetailView.as_view(),
        name="community_detail",
    ),
    path(
        "communities/<int:community_id>/groups/",
        api.CommunityGroupListView.as_view(),
        name="group_list",
    ),
    path(
        "communities/<int:community_id>/groups/<int:group_id>/",
        api.CommunityGroupDetailView.as_view(),
        name="group_detail",
    ),
    path(
        "communities/<int:community_id>/announcements/",
        api.AnnouncementListView.as_view(),
        name="announcement_list",
    ),
]
