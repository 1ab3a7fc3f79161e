"""GET /healthz/: 200 once the database and the channel layer answer, 503 otherwise."""

from unittest import mock

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a connection there is refused at once.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


def test_health_is_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_health_is_503_when_the_database_fails(client):
    broken = mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("database is down")
    )

    with broken:
        response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"].startswith("error")
    assert body["checks"]["channel_layer"] == "ok"


def test_health_is_503_when_the_channel_layer_fails(client, settings):
    settings.CHANNEL_LAYERS = UNREACHABLE_REDIS

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["channel_layer"].startswith("error")
    assert body["checks"]["database"] == "ok"


def test_health_refuses_other_methods(client):
    response = client.post("/healthz/")

    assert response.status_code == 405
