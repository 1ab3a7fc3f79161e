"""Token authentication: one lean query finds the user, for API requests and socket handshakes."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.selectors import user_for_token
from tests.conftest import token_client


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_token_finds_its_user_fully_loaded_in_one_query(alice, django_assert_num_queries):
    key = Token.objects.create(user=alice).key

    with django_assert_num_queries(1):
        user = user_for_token(key)
        seen = (user.name, user.phone_number, user.status, user.is_active, user.created_at)

    assert user == alice
    assert user.get_deferred_fields() == set()
    assert seen == (alice.name, alice.phone_number, alice.status, True, alice.created_at)


def test_an_unknown_token_finds_no_one(alice):
    Token.objects.create(user=alice)

    assert user_for_token("0" * 40) is None


def test_an_api_request_costs_one_query_to_authenticate(alice, django_assert_num_queries):
    client = token_client(alice)

    with django_assert_num_queries(1):
        response = client.get("/api/v1/users/me/")

    assert response.status_code == 200
    assert response.data["user_id"] == alice.id


def test_a_wrong_token_is_a_401_saying_so(alice):
    response = _client("not-a-real-token").get("/api/v1/users/me/")

    assert response.status_code == 401
    assert response.data["detail"] == "Invalid token."


def test_the_token_of_a_deactivated_user_is_a_401(alice):
    key = Token.objects.create(user=alice).key
    User.objects.filter(pk=alice.pk).update(is_active=False)

    response = _client(key).get("/api/v1/users/me/")

    assert response.status_code == 401
    assert response.data["detail"] == "User inactive or deleted."


async def _handshake(key: str) -> bool:
    from whatsapp.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {key}".encode())]
    )
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
async def test_a_socket_handshake_is_accepted_for_an_active_users_token_only(alice):
    key = (await database_sync_to_async(Token.objects.create)(user=alice)).key

    assert await _handshake(key)

    await User.objects.filter(pk=alice.pk).aupdate(is_active=False)

    assert not await _handshake(key)


def test_the_openapi_schema_still_documents_token_authentication(alice_api):
    schema = alice_api.get("/api/schema/?format=json").json()

    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/users/me/"]["get"]["security"]
