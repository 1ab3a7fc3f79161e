from django.urls import path

from whatsapp.placeholder import placeholder

app_name = "chats"
urlpatterns = [
    path("", placeholder, name="home"),  # TEMPORARY
]
