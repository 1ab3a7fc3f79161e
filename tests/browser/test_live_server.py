"""The live-server harness and what every deployment serves: static files, WebSockets, health."""

import json
import urllib.request

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_static_files_are_served_without_collectstatic(live_server_url):
    status, headers, body = get(f"{live_server_url}/static/css/app.css")

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert len(body) > 0

    status, headers, _ = get(f"{live_server_url}/static/js/socket.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]


def test_live_server_reports_healthy(live_server_url):
    status, _, body = get(f"{live_server_url}/healthz/")

    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_signed_in_page_opens_a_websocket_that_gets_ready(live_server_url, new_page, alice):
    page = new_page()
    frames: list[str] = []
    page.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda payload: frames.append(str(payload))),
    )

    login(page, live_server_url, alice.phone_number, PASSWORD)

    ready = []
    for _ in range(100):
        ready = [json.loads(f) for f in frames if '"ready"' in f]
        if ready:
            break
        page.wait_for_timeout(100)
    assert ready and ready[0] == {"type": "ready", "user_id": alice.id}


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_two_servers_share_the_test_database(start_server, alice):
    first = start_server()
    second = start_server()

    assert first != second
    for base_url in (first, second):
        status, body = post_json(
            f"{base_url}/api/v1/auth/token/",
            {"phone_number": alice.phone_number, "password": PASSWORD},
        )
        assert status == 200
        assert body["token"]
