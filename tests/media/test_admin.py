import pytest

from attachments.storage import atomic_with_files, attach_media
from chats.models import Message, Multimedia
from tests.conftest import PASSWORD, stored_files
from tests.media.conftest import pdf_bytes, png_upload, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(message):
    with atomic_with_files():
        return attach_media([png_upload()], message=message)[0]


def test_message_changelist_is_searchable_and_filterable(superuser_client, message, photo):
    assert superuser_client.get("/admin/chats/message/?q=look").status_code == 200
    assert superuser_client.get("/admin/chats/message/?removed=no").status_code == 200
    assert b"look" in superuser_client.get("/admin/chats/message/").content


def test_message_changelist_query_count_is_flat(
    superuser_client, alice, bob, django_assert_max_num_queries
):
    for i in range(30):
        Message.objects.create(sender=alice, receiver=bob, content=f"m{i}")

    with django_assert_max_num_queries(10):
        superuser_client.get("/admin/chats/message/")


def test_remove_action_blanks_the_message_and_deletes_its_files(
    superuser_client, message, photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            "/admin/chats/message/",
            {"action": "remove_messages", "_selected_action": [message.id]},
        )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.removed_at is not None
    assert Multimedia.objects.count() == 0
    assert stored_files() == []


def test_multimedia_change_view_previews_the_thumbnail_for_staff(superuser_client, photo):
    page = superuser_client.get(f"/admin/chats/multimedia/{photo.id}/change/")
    thumb = superuser_client.get(f"/admin/chats/multimedia/{photo.id}/thumbnail/")
    download = superuser_client.get(f"/admin/chats/multimedia/{photo.id}/file/")

    assert page.status_code == 200
    assert f"/admin/chats/multimedia/{photo.id}/thumbnail/".encode() in page.content
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert download.status_code == 200


def test_multimedia_files_are_for_staff_only(client, alice, photo):
    client.login(phone_number=alice.phone_number, password=PASSWORD)

    response = client.get(f"/admin/chats/multimedia/{photo.id}/file/")

    assert response.status_code == 302  # to the admin login


def test_multimedia_changelist_lists_documents(superuser_client, message):
    with atomic_with_files():
        attach_media([upload("a.pdf", pdf_bytes())], message=message)

    response = superuser_client.get("/admin/chats/multimedia/?file_type=application/pdf")

    assert response.status_code == 200
    assert b"message #" in response.content
