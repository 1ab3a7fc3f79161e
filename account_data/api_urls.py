"""The accounts API's URLconf: accounts' own routes plus the export
(``accounts_api:me_export``), included by the project in place of ``accounts.api_urls``."""

from django.urls import path

from account_data import api
from accounts import api_urls as accounts_api_urls

app_name = accounts_api_urls.app_name
urlpatterns = [
    *accounts_api_urls.urlpatterns,
    path("users/me/export/", api.MeExportView.as_view(), name="me_export"),
]
