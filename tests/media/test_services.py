import random

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from attachments import uploads
from attachments.deletion import delete_media
from attachments.exceptions import UnsupportedFile
from attachments.kinds import download_name, is_inline, media_kind
from attachments.storage import atomic_with_files, attach_media, forward_media
from chats.models import Message, Multimedia
from tests.conftest import stored_files
from tests.media.conftest import (
    image_bytes,
    jpeg_with_orientation,
    mp4_bytes,
    odf_bytes,
    ogg_opus_bytes,
    ole_bytes,
    ooxml_bytes,
    package_bytes,
    pdf_bytes,
    png_upload,
    recording_bytes,
    upload,
    wav_bytes,
)
from whatsapp.errors import DomainError, PayloadTooLarge

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def attach(files, **owner):
    with atomic_with_files():
        return attach_media(files, **owner)


def test_png_is_stored_with_dimensions_thumbnail_and_random_name(message):
    [item] = attach([png_upload("holiday.png", size=(800, 600))], message=message)

    item.refresh_from_db()
    assert item.message_id == message.id
    # Re-encoded: an opaque picture is stored as JPEG whatever it came as.
    assert item.file_type == "image/jpeg"
    assert (item.width, item.height) == (800, 600)
    assert item.original_name == "holiday.png"
    assert "holiday" not in item.file.name
    assert item.size == default_storage.size(item.file.name)
    with Image.open(default_storage.open(item.thumbnail.name)) as thumb:
        assert max(thumb.size) == 320


def test_jpeg_orientation_is_applied_and_metadata_stripped(message):
    [item] = attach(
        [upload("cam.jpg", jpeg_with_orientation((400, 200)), "image/jpeg")], message=message
    )

    assert item.file_type == "image/jpeg"
    assert (item.width, item.height) == (200, 400)
    with Image.open(default_storage.open(item.file.name)) as stored:
        assert stored.size == (200, 400)
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_gif_is_accepted_as_an_image(message):
    [item] = attach([upload("fun.gif", image_bytes("GIF", (64, 48)), "image/gif")], message=message)

    assert media_kind(item.file_type) == "image"
    assert (item.width, item.height) == (64, 48)


@pytest.mark.parametrize(
    ("size", "stored", "thumbnail"),
    [((2000, 1000), (1600, 800), (320, 160)), ((100, 50), (100, 50), (100, 50))],
)
def test_images_are_bounded_and_thumbnails_never_upscaled(message, size, stored, thumbnail):
    [item] = attach([png_upload(size=size)], message=message)

    assert (item.width, item.height) == stored
    with Image.open(default_storage.open(item.thumbnail.name)) as thumb:
        assert thumb.size == thumbnail


def test_text_file_named_png_is_refused_and_nothing_is_stored(message):
    fake = upload("photo.png", b"just some text, not pixels\n", "image/png")

    with pytest.raises(UnsupportedFile) as excinfo:
        attach([fake], message=message)

    assert excinfo.value.status_code == 400
    assert Multimedia.objects.count() == 0
    assert stored_files() == []


def test_oversized_file_is_refused_with_413_using_the_setting_at_call_time(message, settings):
    settings.MAX_UPLOAD_SIZE = 1024

    with pytest.raises(PayloadTooLarge) as excinfo:
        attach([upload("big.pdf", pdf_bytes() + b"%" * 2048)], message=message)

    assert excinfo.value.status_code == 413
    assert Multimedia.objects.count() == 0
    assert stored_files() == []


def test_decompression_bomb_is_refused_without_decoding_it(message):
    bomb = image_bytes("PNG", (12_000, 12_000), mode="1")
    assert len(bomb) < 200_000  # tiny on disk, 144 megapixels once decoded

    with pytest.raises(UnsupportedFile, match="too large"):
        attach([upload("bomb.png", bomb, "image/png")], message=message)

    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "data", "file_type"),
    [
        ("report.pdf", pdf_bytes(), "application/pdf"),
        ("letter.docx", ooxml_bytes("docx"), DOCX),
        ("sums.xlsx", ooxml_bytes("xlsx"), XLSX),
        ("slides.pptx", ooxml_bytes("pptx"), PPTX),
        ("letter.odt", odf_bytes(), "application/vnd.oasis.opendocument.text"),
        ("sums.ods", odf_bytes(ODS), ODS),
        ("old.doc", ole_bytes("WordDocument"), "application/msword"),
        ("old.xls", ole_bytes("Workbook"), "application/vnd.ms-excel"),
        ("old.ppt", ole_bytes("PowerPoint Document"), "application/vnd.ms-powerpoint"),
        ("notes.txt", "Grüße\nline two\n".encode(), "text/plain"),
        ("clip.mp4", mp4_bytes(b"vide"), "video/mp4"),
        ("clip.mov", recording_bytes("mov", "libx264", "aac"), "video/quicktime"),
        ("clip.3gp", recording_bytes("3gp", "libx264", "aac"), "video/3gpp"),
        ("clip.webm", recording_bytes("webm", "libvpx", "libopus"), "video/webm"),
        ("voice.m4a", mp4_bytes(b"soun"), "audio/mp4"),
        ("voice.ogg", ogg_opus_bytes(), "audio/ogg"),
        ("voice.webm", recording_bytes("webm", None, "libopus"), "audio/webm"),
        ("song.mp3", recording_bytes("mp3", None, "libmp3lame"), "audio/mpeg"),
        ("song.flac", recording_bytes("flac", None, "flac"), "audio/flac"),
        ("song.aac", recording_bytes("adts", None, "aac"), "audio/aac"),
        ("memo.wav", wav_bytes(), "audio/wav"),
    ],
)
def test_type_is_proved_by_parsing_the_content(message, name, data, file_type):
    [item] = attach([upload(name, data)], message=message)

    assert item.file_type == file_type
    assert item.size == len(data)
    assert item.thumbnail.name in (None, "")


def test_a_video_keeps_its_dimensions(message):
    [item] = attach([upload("clip.mp4", mp4_bytes())], message=message)

    assert (item.width, item.height) == (32, 24)


def _junk(size: int = 4096) -> bytes:
    return random.Random(size).randbytes(size)


# What a red-team pass got stored as audio, video or a document: a real magic number followed by
# anything, or a package that only names a type.
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("clip.mp4", b"\x00\x00\x00\x18ftypisom" + _junk()),
        ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + _junk()),
        ("clip.mp4", mp4_bytes()[:600]),  # cut before the index of its samples
        ("voice.m4a", b"\x00\x00\x00\x20ftypM4A " + _junk()),
        ("voice.ogg", b"OggS" + _junk()),
        ("voice.ogg", b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 64),
        ("voice.amr", b"#!AMR\n" + _junk()),
        ("clip.webm", b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\x82\x84webm" + _junk()),
        ("clip.mkv", recording_bytes("matroska", "libx264", "aac")),
        ("song.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + _junk()),
        ("song.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64),
        ("memo.wav", b"RIFF\x00\x10\x00\x00WAVE" + _junk()),
        ("song.flac", b"fLaC" + _junk()),
        ("report.pdf", b"%PDF-1.4\n" + _junk()),
        ("clip.mp4", package_bytes({"mimetype": "video/mp4", "clip": _junk()})),
        ("book.epub", package_bytes({"mimetype": "application/epub+zip"})),
        ("letter.odt", package_bytes({"mimetype": "application/vnd.oasis.opendocument.text"})),
        ("letter.docx", package_bytes({"[Content_Types].xml": "<Types/>", "word/x.xml": "<w/>"})),
        ("letter.docm", ooxml_bytes("docx", content_type=DOCM_MAIN)),
        ("old.doc", ole_bytes("WordDocument", macros=True)),
        ("old.doc", ole_bytes("Contents")),
        ("old.doc", ole_bytes()[:700]),
    ],
)
def test_junk_behind_a_valid_magic_number_is_refused(message, name, data):
    with pytest.raises(UnsupportedFile) as excinfo:
        attach([upload(name, data)], message=message)

    assert excinfo.value.status_code == 400
    assert Multimedia.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.js", b"alert(document.cookie)\n"),
        ("x.js. ", b"alert(document.cookie)\n"),  # Windows would save it as x.js
        ("invoice.pdf.bat", b"@echo off\r\ndel /q %USERPROFILE%\\Documents\r\n"),
        ("invoice.html", b"Invoice 42\n<html><script>alert(1)</script></html>\n"),
        ("page.htm", b"hello <b>there</b>\n"),
        ("data.csv", b'=HYPERLINK("http://example.com")\n'),
        ("song.mp3", pdf_bytes()),
        ("invoice.pdf", ooxml_bytes("xlsx")),
        ("clip.mp4", pdf_bytes()),
        ("notes.txt", mp4_bytes()),
    ],
)
def test_a_name_that_says_another_type_than_the_content_is_refused(message, name, data):
    with pytest.raises(UnsupportedFile, match="name ends in"):
        attach([upload(name, data)], message=message)

    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "data", "file_type"),
    [
        ("notes", b"no extension at all\n", "text/plain"),
        ("minutes v1.2", b"a version, not an extension\n", "text/plain"),
        ("README.md", b"# Title\n", "text/plain"),
        ("clip.mov", mp4_bytes(), "video/mp4"),
        ("voice.ogg", recording_bytes("webm", None, "libopus"), "audio/webm"),
        ("letter.doc", ooxml_bytes("docx"), DOCX),
        ("IMG_0001.HEIC", image_bytes("JPEG", (10, 10)), "image/jpeg"),
    ],
)
def test_a_name_of_the_same_sort_as_the_content_is_accepted(message, name, data, file_type):
    [item] = attach([upload(name, data)], message=message)

    assert item.file_type == file_type
    assert item.original_name == name


@pytest.mark.parametrize(
    ("name", "file_type", "served"),
    [
        ("invoice.html", "text/plain", "invoice.txt"),
        ("x.js", "text/plain", "x.txt"),
        ("invoice.pdf.bat", "text/plain", "invoice.pdf.txt"),
        ("notes.md", "text/plain", "notes.md"),
        ("notes", "text/plain", "notes.txt"),
        ("minutes v1.2", "application/pdf", "minutes v1.2.pdf"),
        ("holiday.png", "image/jpeg", "holiday.jpg"),
        ("cam.JPEG", "image/jpeg", "cam.JPEG"),
        ("voice.amr", "audio/amr", "voice.bin"),
        ("", "application/pdf", "file.pdf"),
        (".bashrc", "text/plain", "file.txt"),
        ("x.js.", "text/plain", "x.txt"),
    ],
)
def test_a_download_name_ends_in_an_extension_of_the_stored_type(name, file_type, served):
    assert download_name(name, file_type) == served


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"MZ\x90\x00" + b"\x00" * 200,
        b"\x00\x01\x02binary junk",
    ],
)
def test_markup_executables_and_unknown_binaries_are_refused(message, data):
    with pytest.raises(UnsupportedFile):
        attach([upload("file.txt", data, "text/plain")], message=message)

    assert stored_files() == []


def test_one_bad_file_refuses_the_whole_batch_before_anything_is_written(message):
    files = [png_upload(), upload("x.png", b"not an image", "image/png")]

    with pytest.raises(UnsupportedFile):
        attach(files, message=message)

    assert Multimedia.objects.count() == 0
    assert stored_files() == []


def test_a_failing_write_deletes_the_files_already_written(message, monkeypatch):
    calls = {"n": 0}
    real_save = Multimedia.save

    def flaky_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Multimedia, "save", flaky_save)

    with pytest.raises(OSError):
        attach([png_upload(), upload("a.pdf", pdf_bytes())], message=message)

    assert Multimedia.objects.count() == 0
    assert stored_files() == []


def test_rollback_after_attach_deletes_the_stored_files(alice, bob):
    with pytest.raises(RuntimeError), atomic_with_files():
        msg = Message.objects.create(sender=alice, receiver=bob, content="")
        attach_media([png_upload()], message=msg)
        assert len(stored_files()) == 2  # the image and its thumbnail
        raise RuntimeError("a later step of the service failed")

    assert Message.objects.count() == 0
    assert stored_files() == []


def test_nested_guard_hands_its_files_to_the_outer_one(alice, bob):
    with pytest.raises(RuntimeError), atomic_with_files():
        with atomic_with_files():
            msg = Message.objects.create(sender=alice, receiver=bob, content="")
            attach_media([upload("a.pdf", pdf_bytes())], message=msg)
        raise RuntimeError("outer step failed")

    assert stored_files() == []


@pytest.mark.django_db(transaction=True)
def test_attach_media_refuses_to_run_in_autocommit(alice, bob):
    msg = Message.objects.create(sender=alice, receiver=bob, content="")

    with pytest.raises(RuntimeError, match="transaction"):
        attach_media([png_upload()], message=msg)

    assert stored_files() == []


def test_attach_needs_exactly_one_owner(message, group_message):
    with pytest.raises(ValueError), transaction.atomic():
        attach_media([png_upload()], message=message, group_message=group_message)


def test_too_many_files_are_refused(message):
    with pytest.raises(DomainError):
        attach([upload(f"{i}.pdf", pdf_bytes()) for i in range(11)], message=message)


def test_more_files_than_the_setting_allows_are_a_413(message, settings):
    settings.MAX_UPLOAD_FILES = 2

    with pytest.raises(PayloadTooLarge) as excinfo:
        attach([upload(f"{i}.txt", b"notes\n") for i in range(3)], message=message)

    assert excinfo.value.status_code == 413
    assert excinfo.value.code == "too_many_files"
    assert stored_files() == []


def test_files_too_large_together_are_a_413_before_any_is_read(message, settings, monkeypatch):
    settings.MAX_UPLOAD_TOTAL_SIZE = 10_000
    read = []
    monkeypatch.setattr(uploads, "_read", lambda *args: read.append(args))
    files = [upload("a.txt", b"a" * 6_000), upload("b.txt", b"b" * 6_000)]

    with pytest.raises(PayloadTooLarge, match="too large together") as excinfo:
        attach(files, message=message)

    assert excinfo.value.status_code == 413
    assert read == []
    assert stored_files() == []


def test_group_messages_and_announcements_take_media(group_message, announcement):
    [on_group] = attach([upload("a.pdf", pdf_bytes())], group_message=group_message)
    [on_announcement] = attach([png_upload()], announcement=announcement)

    assert on_group.group_message_id == group_message.id
    assert on_announcement.community_announcement_id == announcement.id


def test_forwarding_creates_new_rows_sharing_the_stored_bytes(message, alice, carol):
    originals = attach([png_upload(), upload("a.pdf", pdf_bytes())], message=message)
    files_before = stored_files()
    forward = Message.objects.create(sender=alice, receiver=carol, forwarded_from=message)

    with transaction.atomic():
        copies = forward_media(message, message=forward)

    assert stored_files() == files_before
    assert [c.forwarded_from_id for c in copies] == [o.id for o in originals]
    assert [c.file.name for c in copies] == [o.file.name for o in originals]
    assert copies[0].thumbnail.name == originals[0].thumbnail.name
    assert all(c.message_id == forward.id and c.id not in {o.id for o in originals} for c in copies)


def test_deleting_media_keeps_bytes_shared_by_a_forward(
    message, alice, carol, django_capture_on_commit_callbacks
):
    [original] = attach([upload("a.pdf", pdf_bytes())], message=message)
    forward = Message.objects.create(sender=alice, receiver=carol)
    with transaction.atomic():
        [copy] = forward_media(message, message=forward)

    with django_capture_on_commit_callbacks(execute=True):
        delete_media([original])
    assert default_storage.exists(copy.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        delete_media([copy])
    assert stored_files() == []


def test_inline_only_for_media_kinds():
    assert is_inline("image/png")
    assert is_inline("video/mp4")
    assert is_inline("audio/ogg")
    assert not is_inline("application/pdf")
    assert not is_inline("text/plain")
    assert not is_inline("image/svg+xml")
