from django.urls import path

from chats import views

app_name = "chats"
urlpatterns = [
    path("", views.home, name="home"),
    path("chats/<id:user_id>/", views.conversation, name="conversation"),
    path("chats/messages/<id:message_id>/forward/", views.forward, name="forward"),
    path("starred/", views.starred, name="starred"),
]
