from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("groups/new/", views.new_group, name="new"),
    path("groups/<id:group_id>/", views.group_chat, name="detail"),
    path("groups/<id:group_id>/rename/", views.rename, name="rename"),
    path("groups/<id:group_id>/delete/", views.delete, name="delete"),
    path("groups/<id:group_id>/leave/", views.leave, name="leave"),
    path("groups/<id:group_id>/members/add/", views.add_member, name="add_member"),
    path(
        "groups/<id:group_id>/members/<id:user_id>/remove/",
        views.remove_member,
        name="remove_member",
    ),
    path("groups/<id:group_id>/members/<id:user_id>/admin/", views.set_admin, name="set_admin"),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/info/",
        views.message_info,
        name="message_info",
    ),
    path(
        "groups/<id:group_id>/messages/<id:group_message_id>/forward/",
        views.forward,
        name="forward",
    ),
]
