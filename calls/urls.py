from django.urls import path

from whatsapp.placeholder import placeholder

app_name = "calls"
urlpatterns = [
    path("calls/", placeholder, name="log"),  # TEMPORARY
]
