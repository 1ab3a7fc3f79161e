"""Pagination shared by every app: cursor pagination for histories (newest first)."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Cursor pages over a history, newest first, keyed on the primary key.

    Ids only grow, so a cursor stays valid while new messages arrive: ``next`` walks to older
    messages and ``previous`` back towards newer ones, without skipping or repeating any.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
