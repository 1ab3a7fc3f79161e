from django.urls import path

from chats import api

app_name = "chats_api"
urlpatterns = [
    path("chats/", api.ChatListView.as_view(), name="chat_list"),
    path("messages/", api.MessageListView.as_view(), name="message_list"),
    path("messages/read/", api.MessageReadView.as_view(), name="message_read"),
    path(
        "messages/<id:message_id>/forward/",
        api.MessageForwardView.as_view(),
        name="message_forward",
    ),
    path("messages/<id:message_id>/", api.MessageDetailView.as_view(), name="message_detail"),
    path(
        "messages/<id:message_id>/reaction/",
        api.MessageReactionView.as_view(),
        name="message_reaction",
    ),
    path("messages/<id:message_id>/star/", api.MessageStarView.as_view(), name="message_star"),
    path("starred/", api.StarredListView.as_view(), name="starred"),
]
