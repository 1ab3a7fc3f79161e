"""The web front: CSRF on every form and action, the Content-Security-Policy, log-in brute force,
and the production settings behind ``DJANGO_DEBUG=0``.

That pages work under the policy, and that hostile names and messages render as text, is
tested in a browser: tests/browser/test_web_security.py.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import services as account_services
from communities import services as community_services
from groups import services as group_services
from stories import services as story_services
from tests.conftest import PASSWORD
from tests.reliability.conftest import befriend
from tests.test_settings import SECRET_KEY, run_python

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(alice, bob):
    """Alice, signed in, with a chat, a group, a community and a story: every page has content."""
    befriend(alice, bob)
    group = group_services.create_group(alice, name="Hikers", members=[bob])
    community = community_services.create_community(alice, name="Club")
    community_services.add_community_group(alice, community=community, group=group)
    story_services.post_story(alice, content="hello")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client, {"bob": bob, "group": group, "community": community}


def page_urls(things) -> list[str]:
    bob, group, community = things["bob"], things["group"], things["community"]
    return [
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
        "/logout/",
    ]


class Forms(HTMLParser):
    """Each <form>: its method and whether it carries the CSRF token."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "token": False})
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["token"] = bool(attrs.get("value"))


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def test_every_post_form_on_every_page_carries_the_csrf_token(signed_in):
    client, things = signed_in
    checked = 0

    for url in page_urls(things):
        response = client.get(url)
        assert response.status_code == 200, url
        for form in forms_of(response.content.decode()):
            if form["method"] == "post":
                assert form["token"], f"a POST form on {url} has no CSRF token"
                checked += 1

    for url in ("/login/", "/signup/"):
        anonymous = Client(enforce_csrf_checks=True).get(url)
        assert all(
            f["token"] for f in forms_of(anonymous.content.decode()) if f["method"] == "post"
        )
    assert checked >= 15


def html_routes() -> list[str]:
    """Every page route (not the API, admin or static files), with ids filled in as 1."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    routes = [
        "/" + re.sub(r"<\w+:\w+>", "1", route)
        for route in walk(get_resolver().url_patterns, "")
        if not route.startswith(("api/", "admin/", "healthz/"))
    ]
    return sorted(set(routes))


def test_every_page_action_refuses_a_post_without_the_csrf_token(signed_in):
    client, _ = signed_in
    routes = html_routes()

    refused = {url: client.post(url, {"content": "x", "name": "x"}).status_code for url in routes}

    assert len(routes) >= 25
    assert {url: code for url, code in refused.items() if code != 403} == {}


def test_session_requests_to_the_api_need_the_csrf_token(signed_in):
    client, things = signed_in

    without = client.post(
        "/api/v1/messages/",
        json.dumps({"receiver_id": things["bob"].id, "content": "x"}),
        content_type="application/json",
    )
    client.get("/profile/")  # sets the csrftoken cookie, as any page does
    token = client.cookies["csrftoken"].value
    with_token = client.post(
        "/api/v1/messages/",
        json.dumps({"receiver_id": things["bob"].id, "content": "x"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert without.status_code == 403
    assert with_token.status_code == 201


def test_every_response_carries_the_content_security_policy(signed_in):
    client, things = signed_in

    for url in [*page_urls(things), "/login/", "/api/v1/chats/"]:
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert "ws://testserver" in directives["connect-src"]
        assert "unsafe" not in policy


def test_only_the_api_docs_relax_the_policy_for_their_cdn(signed_in):
    client, _ = signed_in

    policy = client.get("/api/docs/")["Content-Security-Policy"]

    assert "https://cdn.jsdelivr.net" in policy
    assert "'unsafe-inline'" in policy


def test_login_brute_force_is_throttled(settings, alice):
    """Fifty guesses from one address: ten reach the password check, the rest are 429s."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "brute-force",
        }
    }
    from django.core.cache import cache

    cache.clear()
    form, api = Client(), Client()
    codes = []

    for n in range(25):
        body = {"phone_number": alice.phone_number, "password": f"guess-{n}"}
        codes.append(form.post("/login/", body).status_code)
        codes.append(
            api.post("/api/v1/auth/token/", body, content_type="application/json").status_code
        )
    right = api.post(
        "/api/v1/auth/token/",
        {"phone_number": alice.phone_number, "password": PASSWORD},
        content_type="application/json",
    )

    assert sum(code != 429 for code in codes) == 10
    assert codes[-30:] == [429] * 30
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    cache.clear()


DUMP_SECURITY = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name, None) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS",
    "SECURE_PROXY_SSL_HEADER", "SECURE_REFERRER_POLICY")}))
"""


def test_production_settings_are_secure_behind_debug_off():
    result = run_python(
        ["-c", DUMP_SECURITY],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="chat.example.com",
    )
    dumped = json.loads(result.stdout.strip().splitlines()[-1])

    assert dumped["DEBUG"] is False
    assert dumped["SESSION_COOKIE_SECURE"] and dumped["CSRF_COOKIE_SECURE"]
    assert dumped["SESSION_COOKIE_HTTPONLY"]
    assert dumped["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert dumped["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and dumped["SECURE_HSTS_PRELOAD"]
    assert dumped["SECURE_SSL_REDIRECT"] and dumped["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert dumped["X_FRAME_OPTIONS"] == "DENY"
    assert dumped["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_check_deploy_is_clean_in_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="chat.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secure_cookies_are_sent_behind_https_in_production(settings, alice):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    client = Client()

    page = client.get("/login/", secure=True)
    logged_in = client.post(
        "/login/",
        {"phone_number": alice.phone_number, "password": PASSWORD},
        secure=True,
        headers={"X-CSRFToken": page.cookies["csrftoken"].value},
    )

    assert page.cookies["csrftoken"]["secure"]
    assert logged_in.cookies["sessionid"]["secure"] and logged_in.cookies["sessionid"]["httponly"]
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_deactivated_accounts_session_stops_working_at_once(alice, make_user):
    staff = make_user("Staff")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(alice)

    account_services.deactivate_user(staff, user=alice)
    response = client.get("/")

    assert response.status_code == 302 and "/login/" in response["Location"]
