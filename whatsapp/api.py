"""API plumbing shared by every app: the exception handler that maps domain errors to HTTP,
and the shapes of responses every app gives (pages of a list, a sent message, error docs)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from whatsapp.errors import DomainError, FieldErrors

# Schema docs of the error responses the exception handler writes.
ERROR = OpenApiResponse(description="Field errors, or `detail` and `code`.")
SEND_THROTTLED = OpenApiResponse(description="Too many messages; see the Retry-After header.")


def exception_handler(exc, context):
    """Map domain errors, Django validation errors and missing objects to JSON responses."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.detail, "code": exc.code}
        if isinstance(exc, FieldErrors):
            body = exc.errors
        elif exc.field:
            body = {exc.field: [exc.detail], "code": exc.code}
        response = Response(body, status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    elif isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    elif isinstance(exc, OverflowError | DataError):
        # A number in the input beyond what the database stores (ids past bigint): bad input.
        exc = exceptions.ValidationError({"detail": ["A number is out of range."]})
    elif isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data.setdefault("code", "throttled")
    return response


class AnyAcceptNegotiation(BaseContentNegotiation):
    """File endpoints answer whatever ``<img>``, ``<video>`` or a download sends as Accept."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def paginated_response(
    view: APIView,
    request,
    queryset,
    serializer_class: type,
    *,
    context: dict[str, Any] | None = None,
    on_page: Callable[[list], Any] | None = None,
) -> Response:
    """One page of ``queryset`` as ``view.pagination_class`` pages it, rendered by
    ``serializer_class``; ``on_page(page)`` runs first (a history marks its page delivered)."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if on_page is not None:
        on_page(page)
    extra = {} if context is None else {"context": context}
    return paginator.get_paginated_response(serializer_class(page, many=True, **extra).data)


def validated_input(request, serializer_class: type, **kwargs: Any) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (an input serializer): its validated
    data; invalid input is a 400 with the field errors."""
    form = serializer_class(data=request.data, **kwargs)
    form.is_valid(raise_exception=True)
    return form.validated_data


def sent_response(serializer_class: type, message) -> Response:
    """201 with a sent message; a retried send (same ``client_id``) is flagged in a header."""
    headers = {"Idempotent-Replayed": "true"} if message.replayed else {}
    return Response(serializer_class(message).data, status=status.HTTP_201_CREATED, headers=headers)
