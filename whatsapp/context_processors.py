"""Template context for every page."""

from django.urls import reverse

# The browser's socket: the ASGI route of whatsapp/asgi.py, outside Django's URLconf.
SOCKET_PATH = "/ws/"

# name -> (URL name, number of ids). A route with ids is reversed with 0 for each of them;
# static/js/http.js (`AppHttp.url(name, ...ids)`) puts the ids in their place.
APP_URLS = {
    "login": ("accounts:login", 0),
    "report": ("moderation:report", 0),
    "chat": ("chats:conversation", 1),
    "message_forward": ("chats:forward", 1),
    "group": ("groups:detail", 1),
    "group_message_info": ("groups:message_info", 2),
    "group_message_forward": ("groups:forward", 2),
    "api_chats": ("chats_api:chat_list", 0),
    "api_message_forward": ("chats_api:message_forward", 1),
    "api_group_read": ("groups_api:group_read", 1),
    "api_message": ("chats_api:message_detail", 1),
    "api_message_reaction": ("chats_api:message_reaction", 1),
    "api_message_star": ("chats_api:message_star", 1),
    "api_group_message": ("groups_api:message_detail", 2),
    "api_group_message_reaction": ("groups_api:message_reaction", 2),
    "api_group_message_star": ("groups_api:message_star", 2),
    "api_calls": ("calls_api:list", 0),
    "api_call_answer": ("calls_api:answer", 1),
    "api_call_decline": ("calls_api:decline", 1),
    "api_call_end": ("calls_api:end", 1),
    "api_story": ("stories_api:story-detail", 1),
    "api_story_view": ("stories_api:story-view", 1),
    "api_story_views": ("stories_api:story-views", 1),
}


def app_urls(request) -> dict:
    """Give templates `app_urls`: the URLs the page's scripts use, by name (shell.html)."""

    def build() -> dict[str, str]:
        urls = {name: reverse(route, args=[0] * ids) for name, (route, ids) in APP_URLS.items()}
        urls["socket"] = SOCKET_PATH
        return urls

    # Called by the template only where it is used, not on every render (admin pages, forms).
    return {"app_urls": build}
