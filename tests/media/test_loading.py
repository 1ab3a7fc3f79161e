"""load_media writes its query by hand: each message must get exactly what a prefetch gives."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.prefetch import load_media
from chats import services
from chats.models import Message
from groups import services as group_services
from groups.models import GroupMessage
from tests.chats.test_selectors import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _files(count: int) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"note-{n}.txt", f"notes {n}\n".encode(), content_type="text/plain")
        for n in range(count)
    ]


def _media(messages) -> list[list[tuple]]:
    return [
        [
            (item.id, item.original_name, item.file.name, item.uploaded_at)
            for item in message.media.all()
        ]
        for message in messages
    ]


def _same_as_a_prefetch(model, ids: list[int], django_assert_num_queries) -> None:
    loaded = list(model.objects.filter(id__in=ids).order_by("id"))
    with django_assert_num_queries(1):
        load_media(loaded)
        got = _media(loaded)
    expected = _media(model.objects.filter(id__in=ids).order_by("id").prefetch_related("media"))

    assert got == expected
    assert [len(files) for files in got] == [0, 3, 1]


def test_each_message_gets_its_own_media_in_upload_order(
    alice, bob, carol, django_assert_num_queries
):
    ids = [
        services.send_message(alice, receiver=bob, content="plain").id,
        services.send_message(alice, receiver=bob, content="", files=_files(3)).id,
        services.send_message(bob, receiver=carol, content="", files=_files(1)).id,
    ]

    _same_as_a_prefetch(Message, ids, django_assert_num_queries)


def test_group_messages_get_their_own_media(alice, bob, django_assert_num_queries):
    group = group_with(alice, bob)
    ids = [
        group_services.send_group_message(alice, group=group, content="plain").id,
        group_services.send_group_message(alice, group=group, content="", files=_files(3)).id,
        group_services.send_group_message(bob, group=group, content="", files=_files(1)).id,
    ]

    _same_as_a_prefetch(GroupMessage, ids, django_assert_num_queries)


def test_no_messages_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        load_media([])
