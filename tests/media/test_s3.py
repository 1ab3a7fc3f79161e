"""The S3 path, against moto's S3-compatible server started on a free local port."""

import json
import os
import subprocess
import sys
import urllib.request
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from attachments.storage import atomic_with_files, attach_media
from chats.models import Message
from tests.media.conftest import pdf_bytes, png_upload, upload

BUCKET = "whatsapp-media-test"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}  # moto accepts any


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                **CREDENTIALS,
            },
        },
    }
    assert type(default_storage._wrapped).__name__ != "FileSystemStorage"
    return s3_endpoint


def bucket_keys(endpoint) -> set[str]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.mark.django_db
def test_upload_goes_to_the_bucket_and_download_redirects_to_a_signed_url(
    s3_storage, message, bob_api
):
    with atomic_with_files():
        [item] = attach_media([upload("Q1 report.pdf", pdf_bytes())], message=message)
    assert item.file.name in bucket_keys(s3_storage)

    response = bob_api.get(f"/api/v1/media/{item.id}/download/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_storage)
    query = parse_qs(urlparse(location).query)
    assert "X-Amz-Signature" in query or "Signature" in query
    assert int(query.get("X-Amz-Expires", ["300"])[0]) <= 300
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"][0].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    with urllib.request.urlopen(location) as fetched:  # local moto endpoint
        assert fetched.read() == pdf_bytes()
        assert fetched.headers["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_stranger_gets_404_not_a_signed_url(s3_storage, message, carol_api):
    with atomic_with_files():
        [item] = attach_media([png_upload()], message=message)

    response = carol_api.get(f"/api/v1/media/{item.id}/download/")

    assert response.status_code == 404
    assert "Location" not in response


@pytest.mark.django_db
def test_image_and_thumbnail_are_stored_and_signed(s3_storage, message, alice_api):
    with atomic_with_files():
        [item] = attach_media([png_upload()], message=message)

    assert {item.file.name, item.thumbnail.name} <= bucket_keys(s3_storage)
    response = alice_api.get(f"/api/v1/media/{item.id}/thumbnail/")
    assert response.status_code == 302
    with urllib.request.urlopen(response["Location"]) as fetched:
        assert fetched.read()[:3] == b"\xff\xd8\xff"


@pytest.mark.django_db
def test_rollback_deletes_the_uploaded_objects(s3_storage, alice, bob):
    before = bucket_keys(s3_storage)
    with pytest.raises(RuntimeError), atomic_with_files():
        msg = Message.objects.create(sender=alice, receiver=bob)
        attach_media([png_upload()], message=msg)
        raise RuntimeError("later failure")

    assert bucket_keys(s3_storage) == before


def test_bucket_setting_switches_default_storage_to_s3():
    env = {
        **os.environ,
        "AWS_STORAGE_BUCKET_NAME": "bucket",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "DJANGO_SETTINGS_MODULE": "whatsapp.settings",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    default = json.loads(out)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "bucket"
    assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9"
    assert default["OPTIONS"]["querystring_auth"] is True
