"""The account pages' URLconf: accounts' own routes plus the export (``accounts:export``).

The project's URLconf includes this in place of ``accounts.urls``, so the export keeps its
address and name while accounts imports nothing of this package.
"""

from django.urls import path

from account_data import views
from accounts import urls as accounts_urls

app_name = accounts_urls.app_name
urlpatterns = [
    *accounts_urls.urlpatterns,
    path("profile/export/", views.export_data, name="export"),
]
