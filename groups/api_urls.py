from django.urls import path

from groups import api

app_name = "groups_api"
urlpatterns = [
    path("groups/", api.GroupListView.as_view(), name="group_list"),
    path("groups/<id:group_id>/", api.GroupDetailView.as_view(), name="group_detail"),
    path("groups/<id:group_id>/members/", api.GroupMemberListView.as_view(), name="member_list"),
    path(
        "groups/<id:group_id>/members/<id:user_id>/",
        api.GroupMemberDetailView.as_view(),
        name="member_detail",
    ),
    path(
        "groups/<id:group_id>/messages/",
        api.GroupMessageListView.as_view(),
        name="message_list",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/forward/",
        api.GroupMessageForwardView.as_view(),
        name="message_forward",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/receipts/",
        api.GroupMessageReceiptsView.as_view(),
        name="message_receipts",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/",
        api.GroupMessageDetailView.as_view(),
        name="message_detail",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/reaction/",
        api.GroupMessageReactionView.as_view(),
        name="message_reaction",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/star/",
        api.GroupMessageStarView.as_view(),
        name="message_star",
    ),
    path("groups/<id:group_id>/read/", api.GroupReadView.as_view(), name="group_read"),
]
