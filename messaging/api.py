"""REST views of the message actions (messaging.actions), declared once for every kind of
chat: :func:`message_action_views` makes the edit/delete, reaction and star views of one kind,
which chats and groups route under their own URLs."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import actions
from messaging.sending import ChatKind
from whatsapp.api import ERROR, validated_input

NOT_FOUND = OpenApiResponse(description="No such message, or not one I may see.")


class EditSerializer(serializers.Serializer):
    """PATCH a message: its new text (the rules of a send apply)."""

    content = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ReactionInputSerializer(serializers.Serializer):
    """PUT a message's reaction: exactly one emoji."""

    emoji = serializers.CharField(allow_blank=True, trim_whitespace=False)


# DELETE a message ?for=me|everyone: "for" is a Python keyword, so the class is built by name.
DeleteQuerySerializer = type(
    "DeleteQuerySerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "DELETE a message: for me (my lists only) or for everyone (the sender).",
        "for": serializers.ChoiceField(
            choices=["me", "everyone"],
            help_text="`me`: gone from my history, inbox and search only; `everyone`: erased "
            "for every participant (the sender, within the delete window).",
        ),
    },
)


def delete_for(request) -> str:
    """The ``for`` query parameter of a DELETE of a message: "me" or "everyone" (else 400)."""
    form = DeleteQuerySerializer(data=request.query_params)
    form.is_valid(raise_exception=True)
    return form.validated_data["for"]


def message_action_views(
    kind: ChatKind,
    serializer: type[serializers.Serializer],
    *,
    tag: str,
    noun: str,
    pushed: str,
    message_id: Callable[..., int],
) -> tuple[type[APIView], type[APIView], type[APIView]]:
    """The (detail, reaction, star) views of ``kind``'s messages: PATCH and DELETE, PUT and
    DELETE a reaction, POST and DELETE a star, each answering with ``serializer``.

    ``noun`` names the message in the schema ("message", "group message"), ``pushed`` says who
    gets the update, and ``message_id(request, **url_kwargs)`` reads the message's id from the
    URL (raising NotFound where the URL itself says more than the id).
    """
    answer = {200: serializer, 404: NOT_FOUND}

    class DetailView(APIView):
        @extend_schema(
            tags=[tag],
            summary=f"Edit a {noun}",
            description="The sender's own message, within MESSAGE_EDIT_WINDOW_SECONDS (15 "
            "minutes) of sent_at; the text obeys the rules of a send. `edited_at` is set and "
            f"{pushed}. Someone else's message is 403 (`not_sender`), too late 409 "
            "(`edit_window_closed`), a deleted one 409 (`deleted`), blank or too long text 400.",
            request=EditSerializer,
            responses={**answer, 400: ERROR, 403: ERROR, 409: ERROR},
        )
        def patch(self, request, **kwargs):
            mid = message_id(request, **kwargs)
            data = validated_input(request, EditSerializer)
            message = actions.edit(kind, request.user, message_id=mid, content=data["content"])
            return Response(serializer(message).data)

        @extend_schema(
            tags=[tag],
            summary=f"Delete a {noun} for me or for everyone",
            description="`?for=everyone`: the sender's own message, within "
            "MESSAGE_DELETE_WINDOW_SECONDS (2 days) of sent_at; its content, media (rows and "
            "files) and reactions are erased and the row stays as a tombstone (`deleted` true), "
            f"answered with 200; {pushed}. Someone else's message is 403 (`not_sender`), too "
            "late 409 (`delete_window_closed`). `?for=me`: any participant; the message leaves "
            "my history, inbox and search only (my other sockets get `message.hidden`); 204. "
            "Any other `for` is 400.",
            parameters=[DeleteQuerySerializer],
            responses={**answer, 204: None, 400: ERROR, 403: ERROR, 409: ERROR},
        )
        def delete(self, request, **kwargs):
            mid = message_id(request, **kwargs)
            try:
                mode = delete_for(request)
            except serializers.ValidationError:
                kind.visible(request.user, mid)  # a message I may not see is 404 whatever I ask
                raise
            if mode == "me":
                actions.delete_for_me(kind, request.user, message_id=mid)
                return Response(status=status.HTTP_204_NO_CONTENT)
            message = actions.delete_for_everyone(kind, request.user, message_id=mid)
            return Response(serializer(message).data)

    class ReactionView(APIView):
        @extend_schema(
            tags=[tag],
            summary=f"React to a {noun}",
            description="One emoji (checked against the Unicode emoji data: skin tones and "
            f"joined sequences count as one); it replaces my earlier reaction, and {pushed}. "
            "Not exactly one emoji is 400; a deleted message 409 (`deleted`).",
            request=ReactionInputSerializer,
            responses={**answer, 400: ERROR, 409: ERROR},
        )
        def put(self, request, **kwargs):
            mid = message_id(request, **kwargs)
            data = validated_input(request, ReactionInputSerializer)
            message = actions.react(kind, request.user, message_id=mid, emoji=data["emoji"])
            return Response(serializer(message).data)

        @extend_schema(
            tags=[tag],
            summary=f"Take back my reaction to a {noun}",
            description="Nothing changes (and nothing is pushed) if I had none.",
            request=None,
            responses=answer,
        )
        def delete(self, request, **kwargs):
            mid = message_id(request, **kwargs)
            message = actions.unreact(kind, request.user, message_id=mid)
            return Response(serializer(message).data)

    class StarView(APIView):
        @extend_schema(
            tags=[tag],
            summary=f"Star a {noun}",
            description="It appears in `starred/`; my sockets get `message.starred`. Starring "
            "again changes nothing.",
            request=None,
            responses=answer,
        )
        def post(self, request, **kwargs):
            return self.star(request, message_id(request, **kwargs), starred=True)

        @extend_schema(tags=[tag], summary=f"Unstar a {noun}", request=None, responses=answer)
        def delete(self, request, **kwargs):
            return self.star(request, message_id(request, **kwargs), starred=False)

        def star(self, request, mid: int, *, starred: bool) -> Response:
            message = actions.star(kind, request.user, message_id=mid, starred=starred)
            return Response(serializer(message).data)

    return DetailView, ReactionView, StarView
