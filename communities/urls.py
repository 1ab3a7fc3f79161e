from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("communities/", views.community_list, name="list"),
    path("communities/<int:community_id>/", views.community_detail, name="detail"),
    path("communities/<int:community_id>/edit/", views.update, name="update"),
    path("communities/<int:community_id>/delete/", views.delete, name="delete"),
    path("communities/<int:community_id>/groups/add/", views.add_group, name="add_group"),
    path(
        "communities/<int:community_id>/groups/<int:group_id>/remove/",
        views.remove_group,
        name="remove_group",
    ),
]
