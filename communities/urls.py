from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("communities/", views.community_list, name="list"),
    path("communities/<id:community_id>/", views.community_detail, name="detail"),
    path("communities/<id:community_id>/edit/", views.update, name="update"),
    path("communities/<id:community_id>/delete/", views.delete, name="delete"),
    path("communities/<id:community_id>/groups/add/", views.add_group, name="add_group"),
    path(
        "communities/<id:community_id>/groups/<id:group_id>/remove/",
        views.remove_group,
        name="remove_group",
    ),
]
