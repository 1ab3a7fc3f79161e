from django.urls import path

from accounts import api

app_name = "accounts_api"
urlpatterns = [
    path("auth/register/", api.RegisterView.as_view(), name="register"),
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("auth/token/revoke/", api.TokenRevokeView.as_view(), name="token_revoke"),
    path("users/", api.UserListView.as_view(), name="user_list"),
    path("users/me/", api.MeView.as_view(), name="me"),
    path("users/me/password/", api.MePasswordView.as_view(), name="me_password"),
    path("users/<id:user_id>/", api.UserDetailView.as_view(), name="user_detail"),
    path("contacts/", api.ContactListView.as_view(), name="contact_list"),
    path("contacts/<id:contact_id>/", api.ContactDetailView.as_view(), name="contact_detail"),
    path("blocks/", api.BlockListView.as_view(), name="block_list"),
    path("blocks/<id:user_id>/", api.BlockDetailView.as_view(), name="block_detail"),
]
