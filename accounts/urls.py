from django.urls import path

from accounts import api, views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.change_password, name="password"),
    path("profile/token/revoke/", views.revoke_token, name="revoke_token"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<id:contact_id>/remove/", views.remove_contact, name="remove_contact"),
    path("users/<id:user_id>/block/", views.block, name="block"),
    path("users/<id:user_id>/unblock/", views.unblock, name="unblock"),
    # Served through a view, not /media/: only signed-in users see pictures.
    path("users/<id:user_id>/picture/", api.ProfilePictureView.as_view(), name="profile_picture"),
]
