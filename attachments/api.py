"""REST endpoints for attachments: metadata, bytes and thumbnail, behind a permission check.

Locally the bytes are streamed; on remote storage (S3) the answer is a redirect to a
short-lived signed URL carrying the same Content-Type and Content-Disposition.
"""

import mimetypes
import re
from collections.abc import Iterator
from pathlib import PurePath

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments.kinds import ALLOWED_TYPES, download_name, is_inline
from attachments.selectors import visible_multimedia
from attachments.serializers import MultimediaSerializer
from whatsapp.api import AnyAcceptNegotiation
from whatsapp.errors import NotFound

DOWNLOAD_RESPONSES = {
    # Any type: each file is served as its stored (sniffed) type.
    (200, "*/*"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The bytes (local storage), with Content-Type and Content-Disposition.",
    ),
    302: OpenApiResponse(description="On S3: redirect to a short-lived signed URL."),
    404: OpenApiResponse(description="No such file, or not visible to the caller."),
}


def served_content_type(file_type: str) -> str:
    """The Content-Type to serve a stored file with: its own when known, else opaque bytes."""
    if file_type not in ALLOWED_TYPES:
        return "application/octet-stream"
    if file_type == "text/plain":
        return "text/plain; charset=utf-8"
    return file_type


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range ``Range`` header; None to send everything.

    Raises ValueError for a range that cannot be satisfied.
    """
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # unsupported forms (several ranges ...) get the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError("range outside the file")
    return start, end


def _read_span(handle, start: int, end: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _local_response(
    request, field_file: FieldFile, *, inline: bool, content_type: str, filename: str
):
    """Stream a local file; honour a single byte range (players seek, Safari requires it)."""
    storage = field_file.storage
    try:
        handle = storage.open(field_file.name, "rb")
        size = storage.size(field_file.name)
    except FileNotFoundError as exc:
        raise NotFound() from exc
    header = request.META.get("HTTP_RANGE", "") if request is not None else ""
    try:
        span = _byte_range(header, size) if header else None
    except ValueError:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if span is None:
        response = FileResponse(
            handle, as_attachment=not inline, filename=filename, content_type=content_type
        )
    else:
        start, end = span
        response = StreamingHttpResponse(
            _read_span(handle, start, end), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def file_response(
    field_file: FieldFile, *, file_type: str, filename: str, request=None
) -> HttpResponse:
    """Serve a stored file: inline for images, audio and video, as an attachment otherwise.

    The name it is saved under ends in an extension of the stored type (``download_name``), so
    what the uploader called ``invoice.html`` or ``x.js`` never opens as a page or a script.
    """
    if not field_file:
        raise NotFound()
    inline = is_inline(file_type)
    content_type = served_content_type(file_type)
    filename = download_name(PurePath(filename or field_file.name).name, file_type)
    storage = field_file.storage
    if isinstance(storage, FileSystemStorage):
        response = _local_response(
            request, field_file, inline=inline, content_type=content_type, filename=filename
        )
    else:
        parameters = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition_header(not inline, filename),
        }
        try:
            url = storage.url(field_file.name, parameters=parameters)
        except TypeError:  # a remote storage without S3's response overrides
            url = storage.url(field_file.name)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering a document, it may not run script.
    response["Content-Security-Policy"] = "sandbox"
    return response


def thumbnail_response(field_file: FieldFile, request=None) -> HttpResponse:
    """Serve a thumbnail we generated ourselves (always JPEG or PNG)."""
    if not field_file:
        raise NotFound()
    file_type = mimetypes.guess_type(field_file.name)[0] or "image/jpeg"
    extension = ALLOWED_TYPES.get(file_type, ("image", ".jpg"))[1]
    return file_response(
        field_file, file_type=file_type, filename=f"thumbnail{extension}", request=request
    )


class MediaDetailView(APIView):
    @extend_schema(
        operation_id="media_retrieve",
        responses={200: MultimediaSerializer, 404: OpenApiResponse(description="Not found.")},
        summary="Metadata of an attachment",
    )
    def get(self, request, multimedia_id: int):
        media = visible_multimedia(request.user, multimedia_id)
        return Response(MultimediaSerializer(media, context={"request": request}).data)


class MediaDownloadView(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="media_download",
        responses=DOWNLOAD_RESPONSES,
        summary="The attachment's bytes (only for who may see its message)",
    )
    def get(self, request, multimedia_id: int):
        media = visible_multimedia(request.user, multimedia_id)
        return file_response(
            media.file, file_type=media.file_type, filename=media.original_name, request=request
        )


class MediaThumbnailView(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="media_thumbnail",
        responses=DOWNLOAD_RESPONSES,
        summary="The attachment's thumbnail (images only)",
    )
    def get(self, request, multimedia_id: int):
        media = visible_multimedia(request.user, multimedia_id)
        return thumbnail_response(media.thumbnail, request)
