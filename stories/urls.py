from django.urls import path

from whatsapp.placeholder import placeholder

app_name = "stories"
urlpatterns = [
    path("status/", placeholder, name="status"),  # TEMPORARY
]
