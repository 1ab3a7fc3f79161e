"""Signed-in pages give their scripts the URLs they use, by name (`app-urls`, static/js/http.js)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def app_urls(page: str) -> dict[str, str]:
    found = re.search(r'<script id="app-urls" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


@pytest.fixture
def home_urls(client, alice) -> dict[str, str]:
    client.force_login(alice)
    return app_urls(client.get("/").content.decode())


def test_routes_with_ids_are_given_with_zero_for_each_id(home_urls):
    assert home_urls["login"] == "/login/"
    assert home_urls["socket"] == "/ws/"
    assert home_urls["chat"] == "/chats/0/"
    assert home_urls["group_message_info"] == "/groups/0/messages/0/info/"
    assert home_urls["api_call_end"] == "/api/v1/calls/0/end/"


def test_every_url_name_the_scripts_use_is_on_the_page(home_urls):
    scripts = (Path(settings.BASE_DIR) / "static" / "js").glob("*.js")

    used = {name for js in scripts for name in re.findall(r'\burl\("(\w+)"', js.read_text())}

    assert "login" in used
    assert used - home_urls.keys() == set()
