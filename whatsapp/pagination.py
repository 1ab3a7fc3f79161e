"""Pagination shared by every app: cursor pagination for histories (newest first)."""

from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlparse

from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class NewestFirstCursorPagination(CursorPagination):
    """Cursor pages over a history, newest first, keyed on the primary key.

    Ids only grow, so a cursor stays valid while new messages arrive: ``next`` walks to older
    messages and ``previous`` back towards newer ones, without skipping or repeating any.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class HistoryPage(NamedTuple):
    messages: list  # oldest first, as a conversation shows them
    older_link: str | None  # the page's own URL for the older page (works without JavaScript)
    older_api: str | None  # the REST URL of the older page, for the page's script


def history_page(
    request: HttpRequest, queryset: QuerySet, *, api_url: str, params: dict[str, Any] | None = None
) -> HistoryPage:
    """The page of a history an HTML view shows: the newest, or the one ``?cursor=`` names.

    ``api_url`` (with ``params``) is the REST endpoint serving the same history, so the page's
    script continues from the same cursor.
    """
    paginator = NewestFirstCursorPagination()
    page = paginator.paginate_queryset(queryset, Request(request))
    older_link = older_api = None
    next_link = paginator.get_next_link()
    if next_link:
        cursor = parse_qs(urlparse(next_link).query).get("cursor", [""])[0]
        older_link = "?" + urlencode({"cursor": cursor})
        older_api = api_url + "?" + urlencode({**(params or {}), "cursor": cursor})
    return HistoryPage(list(reversed(page)), older_link, older_api)
