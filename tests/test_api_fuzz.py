"""API fuzzing: schemathesis sends generated requests to every operation of /api/schema/.

Authenticated as a user who has contacts, a chat, a group, a community, a story and a call (so
small generated ids often name real objects), every response must be a non-5xx and match the
schema: documented status code, content type and body. Examples are derandomized (the same
run each time) and bounded by ``API_FUZZ_EXAMPLES`` per operation (default 12).
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from calls import services as call_services
from chats import services as chat_services
from communities import services as community_services
from groups import services as group_services
from stories import services as story_services
from tests.media.conftest import png_upload

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzzed_user(alice, bob, carol, settings):
    """Alice, with one of everything; her token authenticates every generated request."""
    settings.MESSAGE_SEND_RATE = "100000/1"
    for friend in (bob, carol):
        account_services.add_contact(alice, contact_user=friend)
        account_services.add_contact(friend, contact_user=alice)
    chat_services.send_message(alice, receiver=bob, content="hello", files=[png_upload()])
    chat_services.send_message(bob, receiver=alice, content="hi")
    group = group_services.create_group(alice, name="Hikers", members=[bob, carol])
    group_services.send_group_message(alice, group=group, content="hi all")
    community = community_services.create_community(alice, name="Club")
    community_services.add_community_group(alice, community=community, group=group)
    community_services.post_announcement(alice, community=community, content="news")
    story_services.post_story(alice, content="sunny", file=png_upload())
    call_services.start_call(alice, receiver=bob, call_type="voice")
    account_services.block_user(alice, blocked=carol)
    return alice


def load_schema():
    """The schema /api/schema/ serves, generated in-process (no request, no database)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True))
    loaded = schemathesis.openapi.from_dict(json.loads(document))
    loaded.app = get_wsgi_application()  # requests go straight to Django, through WSGI
    return loaded


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """As Django's test client does: requests must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(fuzzed_user) -> dict:
    return {"Authorization": f"Token {account_services.issue_token(fuzzed_user).key}"}


schema = load_schema()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_matches_its_schema(
    case, auth_header, wsgi_keeps_the_test_connection
):
    case.call_and_validate(headers=auth_header, checks=CHECKS)
