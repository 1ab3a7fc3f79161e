"""A page whose server loses Redis reconnects and shows what came meanwhile.

The server lost its subscriptions with Redis, and with them any push published until they are
back, so it closes its sockets (whatsapp.channel_layer); the page's socket.js reconnects after a
random share of its backoff once Redis is back, and the message stored meanwhile appears
without a reload.
"""

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from chats import services
from tests.browser.conftest import SOCKET_OPEN, bubble, open_as

pytestmark = pytest.mark.browser

# Records the delay of every reconnect socket.js schedules (its ``connect`` function).
RECORD_RECONNECT_DELAYS = """() => {
  window.reconnectDelays = [];
  const schedule = window.setTimeout;
  window.setTimeout = function (fn, ms, ...args) {
    if (fn && fn.name === "connect") { window.reconnectDelays.push(ms); }
    return schedule(fn, ms, ...args);
  };
}"""


def test_a_page_shows_what_came_while_its_server_had_lost_redis(
    start_server, own_redis, new_page, alice, bob
):
    account_services.add_contact(alice, contact_user=bob)
    url = start_server({"REDIS_URL": own_redis.url})
    page = open_as(new_page, url, alice, f"/chats/{bob.id}/")
    other_page = open_as(new_page, url, bob, "/")
    for each in (page, other_page):
        each.evaluate(RECORD_RECONNECT_DELAYS)

    own_redis.kill()
    for each in (page, other_page):
        each.wait_for_function("() => !window.AppSocket.isOpen()")  # closed by the server
    # Stored while the server cannot hear of it (this test process pushes to no server).
    services.send_message(bob, receiver=alice, content="Sent while Redis was down")
    own_redis.start()

    page.wait_for_function(SOCKET_OPEN)
    expect(bubble(page, "Sent while Redis was down")).to_be_visible()
    # The pages came back after a random 50-150% of the first backoff (500 ms), not together.
    first = [each.evaluate("window.reconnectDelays[0]") for each in (page, other_page)]
    assert all(250 <= delay <= 750 for delay in first), first
    assert first != [500, 500], first
