from django.urls import path

from whatsapp.placeholder import placeholder

app_name = "communities"
urlpatterns = [
    path("communities/", placeholder, name="list"),  # TEMPORARY
]
