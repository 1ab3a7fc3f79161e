"""REST endpoints of moderation: users report, and list their own reports."""

from django.db.models import Count
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import selectors, services
from moderation.serializers import ReportCreateSerializer, ReportSerializer
from whatsapp.api import validated_input


class ReportListView(generics.GenericAPIView):
    serializer_class = ReportSerializer

    def get_queryset(self):
        return selectors.reports_by(self.request.user).annotate(snapshot_total=Count("snapshots"))

    @extend_schema(
        tags=["reports"],
        summary="My reports",
        description="The reports I made, newest first, with their review status.",
        responses=ReportSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReportSerializer(page, many=True).data)

    @extend_schema(
        tags=["reports"],
        summary="Report a message, group message, story, user or group",
        description="Only what I can see can be reported (anything else is a 404). A message "
        "or story is copied with the report; reporting a user or a group copies the latest "
        "five messages of that chat I can read, so deleting them later destroys no evidence. "
        "`block: true` also blocks the person behind it. Reporting my own content is a 400 "
        "(`own_content`), the same object twice while it waits for review a 409 "
        "(`already_reported`), and more than `REPORTS_PER_HOUR` (default 10) reports an hour "
        "a 429 (`rate_limited`) with Retry-After.",
        request=ReportCreateSerializer,
        responses={
            201: ReportSerializer,
            400: OpenApiResponse(description="Field errors, or `detail` and `code`."),
            404: OpenApiResponse(description="No such object, or not visible to me."),
            409: OpenApiResponse(description="Already reported and waiting for review."),
            429: OpenApiResponse(description="Too many reports; see the Retry-After header."),
        },
    )
    def post(self, request: Request) -> Response:
        report = services.create_report(
            request.user, **validated_input(request, ReportCreateSerializer)
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
