from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("groups/new/", views.new_group, name="new"),
    path("groups/<int:group_id>/", views.group_chat, name="detail"),
    path("groups/<int:group_id>/rename/", views.rename, name="rename"),
    path("groups/<int:group_id>/delete/", views.delete, name="delete"),
    path("groups/<int:group_id>/leave/", views.leave, name="leave"),
    path("groups/<int:group_id>/members/add/", views.add_member, name="add_member"),
    path(
        "groups/<int:group_id>/members/<int:user_id>/remove/",
        views.remove_member,
        name="remove_member",
    ),
    path("groups/<int:group_id>/members/<int:user_id>/admin/", views.set_admin, name="set_admin"),
    path(
        "groups/<int:group_id>/messages/<int:group_message_id>/info/",
        views.message_info,
        name="message_info",
    ),
    path(
        "groups/<int:group_id>/messages/<int:group_message_id>/forward/",
        views.forward,
        name="forward",
    ),
]
