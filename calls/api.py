"""REST endpoints of calls: the call log, starting a call, and answer / decline / end."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import selectors, services
from calls.serializers import CallSerializer, StartCallSerializer
from whatsapp.api import validated_input


class CallLogPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class CallListView(generics.GenericAPIView):
    serializer_class = CallSerializer
    pagination_class = CallLogPagination

    def get_queryset(self):
        return selectors.call_log_for(self.request.user)

    @extend_schema(
        summary="The call log",
        description="Calls I made or received, newest first. Calls that rang longer than the "
        "ring timeout are marked missed first.",
        responses=CallSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        services.expire_stale_calls()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CallSerializer(page, many=True).data)

    @extend_schema(
        summary="Start a call",
        description="Rings the receiver's open tabs (`call.incoming`). 403 `blocked` if either "
        "user blocked the other; 409 `busy` if either is already in a call (a call still "
        "ringing from someone not in the receiver's contacts does not count); 429 "
        "`rate_limited` with Retry-After beyond `CALL_RATE` attempts per caller.",
        request=StartCallSerializer,
        responses={
            201: CallSerializer,
            400: OpenApiResponse(description="Bad receiver or call type."),
            403: OpenApiResponse(description="Blocked."),
            409: OpenApiResponse(description="Busy."),
            429: OpenApiResponse(description="Too many calls; see the Retry-After header."),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated_input(request, StartCallSerializer)
        call = services.start_call(
            request.user, receiver=data["receiver_id"], call_type=data["call_type"]
        )
        return Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)


class _CallActionView(APIView):
    """POST on one call the requester takes part in; 404 for anyone else."""

    action = None  # a service: (user, *, call) -> Call

    def post(self, request: Request, call_id: int) -> Response:
        call = selectors.visible_call(request.user, call_id)
        call = self.action(request.user, call=call)
        return Response(CallSerializer(call).data)


_ACTION_RESPONSES = {
    200: CallSerializer,
    403: OpenApiResponse(description="Not allowed for this party."),
    404: OpenApiResponse(description="No such call (or not yours)."),
    409: OpenApiResponse(description="The call is not in a state that allows this."),
}


class CallAnswerView(_CallActionView):
    action = staticmethod(services.answer_call)

    @extend_schema(
        summary="Answer a ringing call",
        description="Receiver only. Both parties get `call.answered`; the caller then sends "
        "the WebRTC offer over `call.signal`.",
        request=None,
        responses=_ACTION_RESPONSES,
    )
    def post(self, request: Request, call_id: int) -> Response:
        return super().post(request, call_id)


class CallDeclineView(_CallActionView):
    action = staticmethod(services.decline_call)

    @extend_schema(
        summary="Decline a ringing call",
        description="Receiver only. Both parties get `call.ended` with status `declined`.",
        request=None,
        responses=_ACTION_RESPONSES,
    )
    def post(self, request: Request, call_id: int) -> Response:
        return super().post(request, call_id)


class CallEndView(_CallActionView):
    action = staticmethod(services.end_call)

    @extend_schema(
        summary="Hang up",
        description="Either party. An answered call becomes `ended`; a ringing one becomes "
        "`missed` (caller hung up) or `declined` (receiver). Both get `call.ended`.",
        request=None,
        responses=_ACTION_RESPONSES,
    )
    def post(self, request: Request, call_id: int) -> Response:
        return super().post(request, call_id)
