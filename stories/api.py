"""REST endpoints of stories (Status): thin, the services and selectors do the work."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments.api import (
    DOWNLOAD_RESPONSES,
    file_response,
    thumbnail_response,
)
from stories import selectors, services
from stories.serializers import StoryCreateSerializer, StorySerializer, StoryViewSerializer
from whatsapp.api import AnyAcceptNegotiation, validated_input

NOT_FOUND = OpenApiResponse(description="No such active story, or not visible to the caller.")
ERROR = OpenApiResponse(description="Field errors, or `detail` and `code`.")


class StoryListView(generics.ListAPIView):
    serializer_class = StorySerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        stories = selectors.with_view_counts(selectors.visible_stories(self.request.user))
        user_id = self.request.query_params.get("user_id")
        if user_id:
            stories = stories.filter(user_id=int(user_id) if user_id.isdigit() else 0)
        return stories

    @extend_schema(
        tags=["stories"],
        summary="Active stories of my contacts, and mine",
        description="Newest first. Visible: my own, and those of users who have me as a "
        "contact and whom I have as a contact, unless either blocked the other. Expired "
        "stories (24 h after created_at) never appear.",
        parameters=[
            OpenApiParameter("user_id", OpenApiTypes.INT, description="Only this author's.")
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["stories"],
        request={
            "multipart/form-data": StoryCreateSerializer,
            "application/json": StoryCreateSerializer,
        },
        responses={201: StorySerializer, 400: ERROR, 413: ERROR},
        summary="Post a story",
        description="`content` (text, or the caption of a photo/video) and/or a multipart "
        "`file` (image or video, checked by its bytes). expires_at = created_at + 24 h.",
    )
    def post(self, request):
        story = services.post_story(request.user, **validated_input(request, StoryCreateSerializer))
        story = selectors.with_view_counts(selectors.visible_stories(request.user)).get(id=story.id)
        body = StorySerializer(story, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class StoryDetailView(APIView):
    @extend_schema(
        tags=["stories"], responses={200: StorySerializer, 404: NOT_FOUND}, summary="A story"
    )
    def get(self, request, story_id: int):
        story = selectors.visible_story(request.user, story_id)
        return Response(StorySerializer(story, context={"request": request}).data)

    @extend_schema(
        tags=["stories"],
        responses={204: None, 403: ERROR, 404: NOT_FOUND},
        summary="Delete my story",
    )
    def delete(self, request, story_id: int):
        story = selectors.own_story(request.user, story_id)
        services.delete_story(request.user, story=story)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StoryViewRecordView(APIView):
    @extend_schema(
        tags=["stories"],
        request=None,
        responses={
            201: StoryViewSerializer,
            200: StoryViewSerializer,
            204: OpenApiResponse(description="My own story: views of it are not counted."),
            404: NOT_FOUND,
        },
        summary="Record that I viewed a story (once)",
    )
    def post(self, request, story_id: int):
        story = selectors.visible_story(request.user, story_id)
        view = services.view_story(request.user, story=story)
        if view is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        created = not story.viewed  # the annotation predates this call
        body = StoryViewSerializer(view, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StoryViewerListView(generics.ListAPIView):
    serializer_class = StoryViewSerializer

    def get_queryset(self):
        return selectors.story_viewers(self.request.user, self.kwargs["story_id"])

    @extend_schema(
        tags=["stories"],
        responses={200: StoryViewSerializer(many=True), 403: ERROR, 404: NOT_FOUND},
        summary="Who viewed my story (the author only)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StoryFileView(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        tags=["stories"], responses=DOWNLOAD_RESPONSES, summary="The story's photo or video"
    )
    def get(self, request, story_id: int):
        story = selectors.visible_story(request.user, story_id)
        return file_response(story.file, file_type=story.file_type, filename="", request=request)


class StoryThumbnailView(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(tags=["stories"], responses=DOWNLOAD_RESPONSES, summary="The story's thumbnail")
    def get(self, request, story_id: int):
        story = selectors.visible_story(request.user, story_id)
        return thumbnail_response(story.thumbnail, request)
