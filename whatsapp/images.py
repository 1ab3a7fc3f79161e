"""Checking and normalising uploaded images: decode with Pillow, never trust names or headers.

:func:`process_image` is shared by profile pictures, message media and stories. It refuses
anything Pillow cannot fully decode, refuses decompression bombs, applies the EXIF orientation,
drops every piece of metadata (EXIF with GPS, comments, ICC text chunks) by re-encoding, shrinks
the image to a maximum dimension and makes a thumbnail. Animated images keep their first frame.
:func:`check_upload_size` enforces ``settings.MAX_UPLOAD_SIZE`` for any upload, image or not.
"""

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from whatsapp.errors import PayloadTooLarge

# Formats accepted from clients by default: what browsers display.
WEB_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Fewer pixels than Pillow's own bomb limit (~89 Mpx): a 48 Mpx camera photo still passes.
DEFAULT_MAX_PIXELS = 50_000_000

_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class ProcessedImage:
    """The re-encoded image and its thumbnail, ready for ``storage.save`` or a FileField."""

    file: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    # What the upload really was (from its bytes) and what we stored.
    source_mime_type: str
    mime_type: str
    thumbnail_width: int
    thumbnail_height: int


def check_upload_size(upload: IO[bytes], *, max_size: int | None = None) -> int:
    """Return the upload's size in bytes; raise PayloadTooLarge beyond the limit.

    The limit defaults to ``settings.MAX_UPLOAD_SIZE``.
    """
    limit = settings.MAX_UPLOAD_SIZE if max_size is None else max_size
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(position)
    if size > limit:
        raise PayloadTooLarge(
            f"The file is too large: at most {_human_size(limit)} per upload.",
            code="file_too_large",
        )
    return size


def process_image(
    upload: IO[bytes],
    *,
    max_dimension: int = 1600,
    thumbnail_size: int = 320,
    output_format: str | None = None,
    quality: int = 85,
    allowed_formats: tuple[str, ...] = WEB_FORMATS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_size: int | None = None,
    name_prefix: str = "",
) -> ProcessedImage:
    """Decode, verify, orient, strip and resize an uploaded image; raise ValidationError if bad.

    ``output_format`` is a Pillow format name ("JPEG", "PNG", "WEBP"); by default images with
    transparency become PNG and the others JPEG. The returned files are named
    ``<name_prefix><random hex>.<ext>`` (the client's file name is never used).
    Raises :class:`whatsapp.errors.PayloadTooLarge` beyond ``max_size`` bytes (default
    ``settings.MAX_UPLOAD_SIZE``).
    """
    check_upload_size(upload, max_size=max_size)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read()
    image, source_format = _decode(data, allowed_formats=allowed_formats, max_pixels=max_pixels)

    image = ImageOps.exif_transpose(image)
    image = _normalise_mode(image)
    fmt = (output_format or ("PNG" if image.mode == "RGBA" else "JPEG")).upper()
    if fmt not in _EXTENSIONS:
        raise ValueError(f"Unsupported output format {fmt!r}")
    if fmt == "JPEG" and image.mode == "RGBA":
        image = _flatten(image)

    image.thumbnail((max_dimension, max_dimension), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)

    stem = f"{name_prefix}{uuid.uuid4().hex}"
    extension = _EXTENSIONS[fmt]
    return ProcessedImage(
        file=ContentFile(_encode(image, fmt, quality), name=f"{stem}.{extension}"),
        thumbnail=ContentFile(_encode(thumb, fmt, quality), name=f"{stem}-thumb.{extension}"),
        width=image.width,
        height=image.height,
        source_mime_type=Image.MIME.get(source_format, "application/octet-stream"),
        mime_type=Image.MIME[fmt],
        thumbnail_width=thumb.width,
        thumbnail_height=thumb.height,
    )


def _decode(
    data: bytes, *, allowed_formats: tuple[str, ...], max_pixels: int
) -> tuple[Image.Image, str]:
    """Open, verify and fully load the image; return it with its detected format."""
    invalid = ValidationError(
        "Upload a valid image. The file is not an image or it is corrupted.", code="invalid_image"
    )
    if not data:
        raise ValidationError("The submitted file is empty.", code="empty")
    try:
        # Pillow only warns between its limit and twice it; make that an error too.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=allowed_formats) as probe:
                source_format = probe.format
                _check_pixels(probe.size, max_pixels)
                probe.verify()
            # verify() leaves the image unusable: open again and decode every pixel.
            image = Image.open(io.BytesIO(data), formats=allowed_formats)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except UnidentifiedImageError as exc:
        formats = ", ".join(sorted(allowed_formats))
        raise ValidationError(
            f"Upload a valid image ({formats}). The file is not an image or it is corrupted.",
            code="invalid_image",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated or corrupt data: Pillow reports it through any of these.
        raise invalid from exc
    return image, source_format


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ValidationError("The image has no pixels.", code="invalid_image")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)


def _too_many_pixels(max_pixels: int) -> ValidationError:
    return ValidationError(
        f"The image is too large: at most {max_pixels // 1_000_000} megapixels.",
        code="image_too_large",
    )


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Reduce every mode to RGB or RGBA (palette, greyscale, CMYK, 16-bit ...)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    target = "RGBA" if has_alpha else "RGB"
    return image if image.mode == target else image.convert(target)


def _flatten(image: Image.Image) -> Image.Image:
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    # A fresh info dict: nothing of the source (EXIF, XMP, comments, ICC) is written back.
    image.info = {}
    buffer = io.BytesIO()
    options: dict = {}
    if fmt == "JPEG":
        options = {"quality": quality, "optimize": True, "progressive": True}
    elif fmt == "WEBP":
        options = {"quality": quality, "method": 4}
    elif fmt == "PNG":
        options = {"optimize": True}
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"
