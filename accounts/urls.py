from django.urls import path

from whatsapp.placeholder import placeholder

app_name = "accounts"
urlpatterns = [
    path("profile/", placeholder, name="profile"),  # TEMPORARY
    path("logout/", placeholder, name="logout"),  # TEMPORARY
    path("contacts/", placeholder, name="contacts"),  # TEMPORARY
    path("users/<int:user_id>/picture/", placeholder, name="profile_picture"),  # TEMPORARY
]
