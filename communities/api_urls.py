from django.urls import path

from communities import api

app_name = "communities_api"
urlpatterns = [
    path("communities/", api.CommunityListView.as_view(), name="community_list"),
    path(
        "communities/<id:community_id>/",
        api.CommunityDetailView.as_view(),
        name="community_detail",
    ),
    path(
        "communities/<id:community_id>/groups/",
        api.CommunityGroupListView.as_view(),
        name="group_list",
    ),
    path(
        "communities/<id:community_id>/groups/<id:group_id>/",
        api.CommunityGroupDetailView.as_view(),
        name="group_detail",
    ),
    path(
        "communities/<id:community_id>/announcements/",
        api.AnnouncementListView.as_view(),
        name="announcement_list",
    ),
]
