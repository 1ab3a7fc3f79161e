"""The Calls tab (/calls/) and the call UI that every signed-in page carries."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls import services
from calls.models import Call


@pytest.fixture
def alice_browser(client, alice):
    client.force_login(alice)
    return client


def entry_html(html: str, call: Call) -> str:
    match = re.search(rf'<li class="([^"]*)" data-call-id="{call.id}".*?</li>', html, re.S)
    assert match, f"call {call.id} is not in the log"
    return match.group(0)


def test_calls_tab_requires_login(client):
    response = client.get("/calls/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_calls_tab_is_the_active_tab(alice_browser):
    response = alice_browser.get("/calls/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<a href="/calls/"[^>]*aria-current="page"[^>]*>.*?Calls.*?</a>', html, re.S)
    assert 'aria-label="Call log"' in html


def test_log_shows_direction_type_duration_and_call_back(alice_browser, alice, bob):
    call = services.answer_call(
        bob, call=services.start_call(alice, receiver=bob, call_type=Call.CallType.VIDEO)
    )
    Call.objects.filter(pk=call.pk).update(call_started_at=timezone.now() - timedelta(seconds=65))
    services.end_call(bob, call=call)

    html = alice_browser.get("/calls/").content.decode()

    entry = entry_html(html, call)
    assert "Bob" in entry
    assert "Outgoing video call" in entry
    assert "1:05" in entry
    assert "call-missed" not in entry
    assert f'data-call-peer-id="{bob.id}"' in entry
    assert 'data-call-type="video"' in entry
    assert 'aria-label="Call Bob back (video)"' in entry


def test_missed_incoming_call_is_marked_red(alice_browser, alice, bob):
    ringing = services.start_call(bob, receiver=alice, call_type="voice")
    call = services.end_call(bob, call=ringing)

    html = alice_browser.get("/calls/").content.decode()

    entry = entry_html(html, call)
    assert "call-missed" in entry.split(">", 1)[0]
    assert "Missed voice call" in entry
    assert "call-duration" not in entry


def test_unanswered_outgoing_call_is_not_red(alice_browser, alice, bob):
    ringing = services.start_call(alice, receiver=bob, call_type="voice")
    call = services.end_call(alice, call=ringing)

    entry = entry_html(alice_browser.get("/calls/").content.decode(), call)

    assert "call-missed" not in entry.split(">", 1)[0]
    assert "Outgoing voice call, not answered" in entry


def test_declined_incoming_call_says_so(alice_browser, alice, bob):
    call = services.decline_call(
        alice, call=services.start_call(bob, receiver=alice, call_type="voice")
    )

    entry = entry_html(alice_browser.get("/calls/").content.decode(), call)

    assert "Incoming voice call, declined" in entry


def test_log_shows_only_my_calls(alice_browser, bob, carol):
    other = services.start_call(bob, receiver=carol, call_type="voice")

    html = alice_browser.get("/calls/").content.decode()

    assert f'data-call-id="{other.id}"' not in html
    assert "No calls yet." in html


def test_opening_the_log_marks_rung_out_calls_missed(alice_browser, alice, bob, ring_for):
    call = ring_for(services.start_call(bob, receiver=alice, call_type="voice"), 60)

    entry = entry_html(alice_browser.get("/calls/").content.decode(), call)

    assert "Missed voice call" in entry
    assert Call.objects.get(pk=call.pk).status == Call.Status.MISSED


def test_log_page_query_count_does_not_grow(
    alice_browser, alice, make_user, django_assert_num_queries
):
    numbers = iter(range(3000, 3100))

    def add_calls(count):
        for _ in range(count):
            peer = make_user(phone_number=f"+1415555{next(numbers)}")
            call = services.start_call(peer, receiver=alice, call_type="voice")
            services.end_call(peer, call=call)

    add_calls(2)
    with CaptureQueriesContext(connection) as small:
        alice_browser.get("/calls/")
    add_calls(6)

    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_browser.get("/calls/")

    assert response.content.decode().count("data-call-id=") == 8


def test_every_page_carries_the_call_ui_and_its_config(alice_browser, settings):
    settings.WEBRTC_ICE_SERVERS = '[{"urls": "stun:stun.example.org:3478"}]'
    settings.CALL_RING_TIMEOUT_SECONDS = 30

    html = alice_browser.get("/calls/").content.decode()

    config = re.search(r'<script id="call-config" type="application/json">(.*?)</script>', html)
    assert json.loads(config.group(1)) == {
        "ice_servers": [{"urls": "stun:stun.example.org:3478"}],
        "ring_timeout_seconds": 30,
    }
    assert 'id="call-incoming"' in html and ">Accept<" in html and ">Decline<" in html
    assert 'id="call-overlay"' in html and ">Hang up<" in html and ">Mute<" in html
    assert re.search(r'<script src="/static/js/calls\.js" defer></script>', html)
    assert "onclick" not in html


def test_malformed_ice_server_setting_falls_back_to_none(alice_browser, settings):
    settings.WEBRTC_ICE_SERVERS = "not json"

    html = alice_browser.get("/calls/").content.decode()

    assert '"ice_servers": []' in html


def test_calls_started_from_the_page_share_the_rate(alice_browser, bob, call_rate):
    # calls.js starts a call with the page's session: the same POST, the same counter.
    call_rate("1/min")
    first = alice_browser.post(
        "/api/v1/calls/", {"receiver_id": bob.id, "call_type": "voice"}, "application/json"
    )
    services.end_call(bob, call=Call.objects.get(pk=first.json()["call_id"]))

    second = alice_browser.post(
        "/api/v1/calls/", {"receiver_id": bob.id, "call_type": "voice"}, "application/json"
    )

    assert first.status_code == 201
    assert second.status_code == 429
    assert int(second["Retry-After"]) >= 1
    assert "Too many calls" in second.json()["detail"]
