"""A page whose server loses Redis reconnects and shows what came meanwhile.

The server lost its subscriptions with Redis, and with them any push published until they are
back, so it closes its sockets (whatsapp.channel_layer); the page's socket.js reconnects once
Redis is back, and the message stored meanwhile appears without a reload.
"""

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from chats import services
from tests.browser.conftest import SOCKET_OPEN, bubble, open_as

pytestmark = pytest.mark.browser


def test_a_page_shows_what_came_while_its_server_had_lost_redis(
    start_server, own_redis, new_page, alice, bob
):
    account_services.add_contact(alice, contact_user=bob)
    url = start_server({"REDIS_URL": own_redis.url})
    page = open_as(new_page, url, alice, f"/chats/{bob.id}/")

    own_redis.kill()
    page.wait_for_function("() => !window.AppSocket.isOpen()")  # closed by the server
    # Stored while the server cannot hear of it (this test process pushes to no server).
    services.send_message(bob, receiver=alice, content="Sent while Redis was down")
    own_redis.start()

    page.wait_for_function(SOCKET_OPEN)
    expect(bubble(page, "Sent while Redis was down")).to_be_visible()
