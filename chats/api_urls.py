from django.urls import path  # noqa: F401

app_name = "chats_api"
urlpatterns = []
