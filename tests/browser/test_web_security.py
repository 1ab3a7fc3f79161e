"""In a real browser: hostile text renders as text, and every page works under the CSP.

Each page gets an init script that records Content-Security-Policy violations
(``securitypolicyviolation`` events) in ``window.__csp``. A hostile payload that turned into
markup would either run (setting ``window.__xss``) or, stopped by the policy, leave a violation
behind: both must stay empty, and the payload must show literally.
"""

import json
import urllib.request

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from calls import services as call_services
from chats import services as chat_services
from communities import services as community_services
from groups import services as group_services
from stories import services as story_services
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.stories.conftest import befriend

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
SVG = "<svg/onload=window.__xss=3>"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""
SOCKET_OPEN = "() => !!(window.AppSocket && window.AppSocket.isOpen())"


def open_page(new_page, base_url, user):
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    login(page, base_url, user.phone_number, PASSWORD)
    return page


def visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")


def assert_clean(page, where: str) -> None:
    assert page.evaluate("window.__xss") is None, f"a payload ran on {where}"
    assert page.evaluate("window.__csp") == [], f"CSP violations on {where}"
    assert page.errors == [], f"script errors on {where}: {page.errors}"


def shows_literally(page, text: str) -> None:
    expect(page.locator("body")).to_contain_text(text)


def test_hostile_names_messages_statuses_and_captions_render_as_text(
    live_server_url, new_page, alice, bob
):
    befriend(alice, bob)
    account_services.update_profile(alice, name=IMG, status=SCRIPT)
    chat_services.send_message(alice, receiver=bob, content=f"{SCRIPT} and {IMG}")
    group = group_services.create_group(alice, name=SVG, members=[bob])
    group_services.send_group_message(alice, group=group, content=IMG)
    community = community_services.create_community(alice, name=SCRIPT)
    community_services.add_community_group(alice, community=community, group=group)
    community_services.post_announcement(alice, community=community, content=SVG)
    story_services.post_story(alice, content=IMG)
    call_services.start_call(alice, receiver=bob, call_type="voice")
    page = open_page(new_page, live_server_url, bob)
    base = live_server_url

    visit(page, f"{base}/")
    shows_literally(page, IMG)  # the chat row's name
    shows_literally(page, SVG)  # the group's row
    assert_clean(page, "the chat list")

    visit(page, f"{base}/chats/{alice.id}/")
    shows_literally(page, f"{SCRIPT} and {IMG}")
    assert_clean(page, "the conversation")

    visit(page, f"{base}/groups/{group.id}/")
    shows_literally(page, SVG)
    shows_literally(page, IMG)
    assert_clean(page, "the group")

    visit(page, f"{base}/communities/{community.id}/")
    shows_literally(page, SCRIPT)
    shows_literally(page, SVG)
    assert_clean(page, "the community")

    visit(page, f"{base}/contacts/")
    shows_literally(page, IMG)
    assert_clean(page, "the contacts")

    visit(page, f"{base}/calls/")
    assert_clean(page, "the call log")

    visit(page, f"{base}/status/")
    page.get_by_role("list", name="Recent updates").get_by_role("button").first.click()
    viewer = page.locator("#story-viewer")
    expect(viewer).to_be_visible()
    expect(viewer).to_contain_text(IMG)  # a text status: the text is the story
    assert_clean(page, "the status viewer")


def api_caller(base_url: str, user):
    """Call the live server's REST API as ``user`` (pushes then reach its sockets)."""
    key = Token.objects.get_or_create(user=user)[0].key
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(method: str, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            base_url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        )
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    return call


def test_hostile_text_arriving_live_renders_as_text(live_server_url, new_page, alice, bob):
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Plain", members=[bob])
    chat_page = open_page(new_page, live_server_url, bob)
    visit(chat_page, f"{live_server_url}/chats/{alice.id}/")
    chat_page.wait_for_function(SOCKET_OPEN)
    group_page = open_page(new_page, live_server_url, bob)
    visit(group_page, f"{live_server_url}/groups/{group.id}/")
    group_page.wait_for_function(SOCKET_OPEN)
    call = api_caller(live_server_url, alice)

    call("POST", "/api/v1/messages/", {"receiver_id": bob.id, "content": IMG})
    call("POST", f"/api/v1/groups/{group.id}/messages/", {"content": SCRIPT})

    log = chat_page.get_by_role("log", name="Messages")
    expect(log.locator(".message-row", has_text=IMG)).to_be_visible()
    expect(group_page.get_by_role("log", name="Messages")).to_contain_text(SCRIPT)
    assert_clean(chat_page, "a live 1:1 message")
    assert_clean(group_page, "a live group message")


def test_the_pages_work_under_the_content_security_policy(live_server_url, new_page, alice, bob):
    """Every main page loads, its scripts run, and nothing breaks the policy."""
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Hikers", members=[bob])
    community = community_services.create_community(alice, name="Club")
    community_services.add_community_group(alice, community=community, group=group)
    story_services.post_story(alice, content="Morning")
    page = open_page(new_page, live_server_url, alice)
    base = live_server_url
    pages = [
        "/",
        f"/chats/{bob.id}/",
        "/groups/new/",
        f"/groups/{group.id}/",
        "/communities/",
        f"/communities/{community.id}/",
        "/status/",
        "/calls/",
        "/contacts/",
        "/profile/",
        f"/report/?kind=user&id={bob.id}",
    ]

    for path in pages:
        visit(page, base + path)
        page.wait_for_function(SOCKET_OPEN)  # socket.js ran and reached /ws/ (connect-src)
        assert_clean(page, path)

    # Scripts do their work: sending from the composer goes over the socket.
    visit(page, f"{base}/chats/{bob.id}/")
    page.wait_for_function(SOCKET_OPEN)
    page.get_by_label("Type a message").fill("under CSP")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("log", name="Messages")).to_contain_text("under CSP")
    assert_clean(page, "sending a message")

    for path in ("/login/", "/signup/"):
        anonymous = new_page()
        anonymous.add_init_script(RECORD_VIOLATIONS)
        anonymous.errors = []
        visit(anonymous, base + path)
        assert_clean(anonymous, path)


def test_the_admin_works_under_the_content_security_policy(live_server_url, new_page, make_user):
    staff = make_user("Staff")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    page = open_page(new_page, live_server_url, staff)

    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{staff.id}/change/"):
        visit(page, live_server_url + path)
        assert_clean(page, path)
