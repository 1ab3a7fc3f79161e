from django.urls import path

from calls import api

app_name = "calls_api"
urlpatterns = [
    path("calls/", api.CallListView.as_view(), name="list"),
    path("calls/<id:call_id>/answer/", api.CallAnswerView.as_view(), name="answer"),
    path("calls/<id:call_id>/decline/", api.CallDeclineView.as_view(), name="decline"),
    path("calls/<id:call_id>/end/", api.CallEndView.as_view(), name="end"),
]
