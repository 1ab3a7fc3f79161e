from django.urls import path

from moderation import api

app_name = "moderation_api"
urlpatterns = [
    path("reports/", api.ReportListView.as_view(), name="report_list"),
]
