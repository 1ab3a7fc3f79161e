"""Fixtures of the accounts tests: images as uploads, clean throttle state, staff users."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def _clear_throttles():
    """Throttle history lives in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def image_bytes(
    size=(800, 600), fmt="JPEG", color=(200, 30, 30), mode="RGB", exif=None, **save_options
) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    if exif is not None:
        save_options["exif"] = exif
    image.save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def upload(data: bytes, name="picture.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def jpeg_upload():
    return upload(image_bytes())


@pytest.fixture
def staff(make_user):
    user = make_user("Staff", "+14155550190")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def throttle_rates(settings):
    """Set the login/register rates for one test: ``throttle_rates(login="3/min")``."""

    def set_rates(**rates):
        config = dict(settings.REST_FRAMEWORK)
        config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = config

    return set_rates
