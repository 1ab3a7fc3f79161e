"""HTML views of 1:1 chats: the app's home (chat list) and an open conversation.

They work without JavaScript (the composer and the forward form post here and redirect);
static/js/chat.js then takes over sending, receipts, typing and live updates over /ws/.
"""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.selectors import contacts_of, has_blocked, is_blocked_between, known_user_ids
from chats import selectors, services
from whatsapp.errors import DomainError
from whatsapp.pagination import history_page
from whatsapp.views import or_404, post_composer

# How many chats the side pane lists (the API pages through all of them).
SIDEBAR_CHATS = 200
# Starred messages per page of "Starred messages".
STARRED_PER_PAGE = 50


class MessageForm(forms.Form):
    content = forms.CharField(
        required=False, strip=False, max_length=settings.MESSAGE_MAX_LENGTH, widget=forms.Textarea
    )
    client_id = forms.CharField(required=False, max_length=64)


class ForwardForm(forms.Form):
    receiver_ids = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiver_ids"].choices = choices


def _forward_targets(rows, contacts) -> list:
    """Whom a message can be forwarded to: recent 1:1 chats first, then the other contacts."""
    recent = [row.peer for row in rows if row.kind == "user"]
    seen = {peer.id for peer in recent}
    others = [c.contact_user for c in contacts if c.contact_user_id not in seen]
    return [u for u in recent + others if u.is_active]


def chat_sidebar(
    request, *, active_peer_id: int | None = None, active_group_id: int | None = None
) -> dict:
    """Context of the chat list pane, shared by the 1:1, group and other chat-side pages."""
    rows = selectors.chats_for(request.user)[:SIDEBAR_CHATS]
    contacts = list(contacts_of(request.user))
    return {
        "nav_active": "chats",
        "chat_rows": rows,
        "active_peer_id": active_peer_id,
        "active_group_id": active_group_id,
        "contacts": contacts,
        "forward_targets": _forward_targets(rows, contacts),
        "newest_message_id": max(
            (row.last_message.id for row in rows if row.kind == "user" and row.last_message),
            default=0,
        ),
    }


@login_required
def home(request):
    """The app: the chat list in the side pane, nothing open yet."""
    return render(request, "chats/home.html", chat_sidebar(request))


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request, user_id: int):
    """The open 1:1 chat with ``user_id``; POST sends through the same service as the API."""
    peer = or_404(selectors.chat_peer, request.user, user_id)
    # A chat started by id with someone who never answered: their picture is not for us.
    peer.is_stranger = peer.id not in known_user_ids(request.user, [peer.id])
    form = MessageForm(request.POST or None)
    sent = post_composer(request, form, partial(services.send_message, request.user, receiver=peer))
    if sent.done:
        return redirect("chats:conversation", user_id=peer.id)
    history = history_page(
        request,
        selectors.conversation(request.user, peer),
        api_url=reverse("chats_api:message_list"),
        params={"with": peer.id},
    )
    services.deliver_returned(request.user, history.messages)
    context = chat_sidebar(request, active_peer_id=peer.id) | {
        "peer": peer,
        # Names of quotes and reactions (chats/_bubble.html, static/js/message-actions.js).
        "chat_names": {peer.id: peer.display_name, request.user.id: "You"},
        "form": form,
        "history": history.messages,
        "older_link": history.older_link,
        "older_api": history.older_api,
        "presence": selectors.presence_of(request.user, peer),
        "i_blocked": has_blocked(request.user.id, peer.id),
        "blocked": is_blocked_between(request.user.id, peer.id),
        "max_length": settings.MESSAGE_MAX_LENGTH,
    }
    return render(request, "chats/conversation.html", context, status=sent.status)


@login_required
@require_http_methods(["GET", "POST"])
def forward(request, message_id: int):
    """Choose chats to forward a message to (the no-JS path of the forward dialog)."""
    message = or_404(selectors.visible_message, request.user, message_id)
    targets = chat_sidebar(request)["forward_targets"]
    form = ForwardForm(request.POST or None, choices=[(u.id, u.display_name) for u in targets])
    peer_id = message.receiver_id if message.sender_id == request.user.id else message.sender_id
    if request.method == "POST" and form.is_valid():
        try:
            receivers = selectors.message_receivers(request.user, form.cleaned_data["receiver_ids"])
            copies = services.forward_message(request.user, message=message, receivers=receivers)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            target = copies[0].receiver_id if len(copies) == 1 else peer_id
            return redirect("chats:conversation", user_id=target)
    context = {
        "nav_active": "chats",
        "message": message,
        "form": form,
        "targets": targets,
        "back_url": reverse("chats:conversation", args=[peer_id]),
    }
    return render(request, "chats/forward.html", context, status=400 if form.errors else 200)


@login_required
def starred(request):
    """My starred 1:1 and group messages, newest starred first; each opens in its chat."""
    page = Paginator(selectors.starred_for(request.user), STARRED_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for item in page:
        route = "chats:conversation" if item.kind == "message" else "groups:detail"
        item.url = f"{reverse(route, args=[item.chat_id])}?message={item.message.id}"
    context = chat_sidebar(request) | {"page": page}
    return render(request, "chats/starred.html", context)
