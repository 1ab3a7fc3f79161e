import io
import warnings

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tests.accounts.conftest import image_bytes, upload
from whatsapp.errors import PayloadTooLarge
from whatsapp.images import check_upload_size, process_image

ORIENTATION = 0x0112
MAKE = 0x010F


def reopen(content_file) -> Image.Image:
    content_file.seek(0)
    image = Image.open(io.BytesIO(content_file.read()))
    image.load()
    return image


def test_large_jpeg_is_resized_with_a_thumbnail():
    data = upload(image_bytes(size=(3000, 1500)))

    result = process_image(data, max_dimension=1000, thumbnail_size=100)

    assert (result.width, result.height) == (1000, 500)
    assert reopen(result.file).size == (1000, 500)
    assert reopen(result.thumbnail).size == (100, 50)
    assert (result.thumbnail_width, result.thumbnail_height) == (100, 50)
    assert result.source_mime_type == "image/jpeg"
    assert result.mime_type == "image/jpeg"


def test_small_image_is_not_enlarged():
    result = process_image(upload(image_bytes(size=(40, 30))), max_dimension=1000)

    assert (result.width, result.height) == (40, 30)


def test_stored_names_are_random_and_ignore_the_clients_name():
    first = process_image(upload(image_bytes(), name="../../etc/passwd.jpg"), name_prefix="7-")
    second = process_image(upload(image_bytes(), name="../../etc/passwd.jpg"), name_prefix="7-")

    assert first.file.name.startswith("7-") and first.file.name.endswith(".jpg")
    assert "/" not in first.file.name and "passwd" not in first.file.name
    assert first.file.name != second.file.name
    assert first.thumbnail.name.endswith("-thumb.jpg")


def test_transparent_png_stays_png_with_alpha():
    data = image_bytes(size=(64, 64), fmt="PNG", mode="RGBA", color=(0, 0, 0, 0))

    result = process_image(upload(data, name="a.png", content_type="image/png"))

    assert result.mime_type == "image/png"
    assert result.source_mime_type == "image/png"
    assert reopen(result.file).mode == "RGBA"


def test_transparent_png_forced_to_jpeg_is_flattened():
    data = image_bytes(size=(64, 64), fmt="PNG", mode="RGBA", color=(0, 0, 0, 0))

    result = process_image(upload(data, name="a.png"), output_format="JPEG")

    image = reopen(result.file)
    assert result.mime_type == "image/jpeg"
    assert image.mode == "RGB"
    assert image.getpixel((32, 32)) > (250, 250, 250)


def test_output_format_webp_is_honoured():
    result = process_image(upload(image_bytes()), output_format="webp")

    assert result.mime_type == "image/webp"
    assert result.file.name.endswith(".webp")
    assert reopen(result.file).format == "WEBP"


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to display
    data = image_bytes(size=(200, 100), exif=exif)

    result = process_image(upload(data))

    assert (result.width, result.height) == (100, 200)


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    data = image_bytes(size=(100, 100), exif=exif, comment=b"secret comment")
    assert Image.open(io.BytesIO(data)).getexif().get(MAKE) == "SpyCam"

    result = process_image(upload(data))

    stored = reopen(result.file)
    assert dict(stored.getexif()) == {}
    assert "comment" not in stored.info
    result.file.seek(0)
    assert b"SpyCam" not in result.file.read()


def test_animated_gif_keeps_its_first_frame():
    frames = [Image.new("P", (30, 20), color) for color in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])

    result = process_image(upload(buffer.getvalue(), name="a.gif"))

    assert result.source_mime_type == "image/gif"
    assert (result.width, result.height) == (30, 20)


def test_text_named_like_an_image_is_refused():
    with pytest.raises(ValidationError) as info:
        process_image(upload(b"just some text, not a picture", name="photo.jpg"))

    assert info.value.code == "invalid_image"


def test_truncated_image_is_refused():
    data = image_bytes(size=(400, 400), fmt="PNG")

    with pytest.raises(ValidationError) as info:
        process_image(upload(data[: len(data) // 2], name="a.png"))

    assert info.value.code == "invalid_image"


def test_empty_file_is_refused():
    with pytest.raises(ValidationError):
        process_image(upload(b""))


def test_format_outside_the_allowed_list_is_refused():
    data = image_bytes(size=(10, 10), fmt="BMP")

    with pytest.raises(ValidationError) as info:
        process_image(upload(data, name="a.bmp"))

    assert info.value.code == "invalid_image"
    assert process_image(upload(data), allowed_formats=("BMP",)).source_mime_type == "image/bmp"


def test_too_many_pixels_is_refused_before_decoding():
    data = image_bytes(size=(1000, 1000), fmt="PNG")

    with pytest.raises(ValidationError) as info:
        process_image(upload(data), max_pixels=999_999)

    assert info.value.code == "image_too_large"


def test_pillow_decompression_bomb_guard_becomes_a_validation_error(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    data = image_bytes(size=(150, 100), fmt="PNG")  # 15,000 px: only a warning in Pillow

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError) as info:
            process_image(upload(data), max_pixels=10**9)

    assert info.value.code == "image_too_large"


def test_upload_over_the_size_limit_is_payload_too_large(settings):
    settings.MAX_UPLOAD_SIZE = 1000
    data = image_bytes(size=(500, 500), fmt="PNG")
    assert len(data) > 1000

    with pytest.raises(PayloadTooLarge) as info:
        process_image(upload(data))

    assert info.value.status_code == 413


def test_check_upload_size_measures_plain_files(settings):
    settings.MAX_UPLOAD_SIZE = 10

    assert check_upload_size(io.BytesIO(b"0123456789")) == 10
    with pytest.raises(PayloadTooLarge):
        check_upload_size(io.BytesIO(b"0123456789a"))
