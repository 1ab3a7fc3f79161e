import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Block, Contact, User
from chats import selectors as chat_selectors
from chats.models import Message
from groups.models import GroupMessage
from tests.accounts.conftest import image_bytes, upload
from tests.conftest import PASSWORD


@pytest.fixture
def contact(alice, bob):
    return services.add_contact(alice, contact_user=bob)


@pytest.fixture
def block(alice, carol):
    return services.block_user(alice, blocked=carol)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/?q=alice",
        "/admin/accounts/user/?is_active__exact=1",
        "/admin/accounts/user/add/",
        "/admin/accounts/contact/",
        "/admin/accounts/contact/?q=bob",
        "/admin/accounts/block/",
        "/admin/accounts/block/?q=carol",
    ],
)
def test_admin_pages_load(staff_client, contact, block, path):
    assert staff_client.get(path).status_code == 200


def test_change_pages_load(staff_client, alice, contact, block):
    services.update_profile(alice, picture=upload(image_bytes()))

    for path in (
        f"/admin/accounts/user/{alice.id}/change/",
        f"/admin/accounts/contact/{contact.id}/change/",
        f"/admin/accounts/block/{block.id}/change/",
    ):
        assert staff_client.get(path).status_code == 200


def test_user_changelist_shows_the_moderation_columns(staff_client, alice):
    html = staff_client.get("/admin/accounts/user/").content.decode()

    for column in ("column-phone_number", "column-name", "column-is_active", "column-is_staff"):
        assert column in html
    assert "column-created_at" in html and "column-last_seen" in html


def test_contact_changelist_query_count_does_not_grow(
    staff_client, alice, make_user, django_assert_max_num_queries
):
    numbers = iter(range(4000, 4100))
    for _ in range(3):
        services.add_contact(alice, contact_user=make_user(phone_number=f"+1415555{next(numbers)}"))
    with CaptureQueriesContext(connection) as small:
        staff_client.get("/admin/accounts/contact/")
    for _ in range(5):
        services.add_contact(alice, contact_user=make_user(phone_number=f"+1415555{next(numbers)}"))

    with django_assert_max_num_queries(len(small.captured_queries)):
        staff_client.get("/admin/accounts/contact/")


def test_admin_adds_a_user_with_a_normalised_number(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "phone_number": "(415) 555-0150",
            "name": "Added",
            "usable_password": "true",
            "password1": "an-Admin-pass-42",
            "password2": "an-Admin-pass-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(name="Added")
    assert user.phone_number == "+14155550150"
    assert user.check_password("an-Admin-pass-42")


def test_admin_add_refuses_a_malformed_number(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "phone_number": "zzz",
            "name": "Bad",
            "usable_password": "true",
            "password1": "an-Admin-pass-42",
            "password2": "an-Admin-pass-42",
        },
    )

    assert response.status_code == 200
    assert "Enter a valid phone number." in response.content.decode()
    assert not User.objects.filter(name="Bad").exists()


def test_deactivate_and_reactivate_actions(staff_client, alice, bob):
    staff_client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [alice.id, bob.id]},
    )

    assert not User.objects.filter(id__in=[alice.id, bob.id], is_active=True).exists()

    staff_client.post(
        "/admin/accounts/user/", {"action": "reactivate_users", "_selected_action": [alice.id]}
    )

    assert User.objects.get(id=alice.id).is_active
    assert not User.objects.get(id=bob.id).is_active


def test_staff_cannot_deactivate_themselves_through_the_action(staff_client, staff):
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [staff.id]},
        follow=True,
    )

    staff.refresh_from_db()
    assert staff.is_active
    assert "You cannot deactivate your own account." in response.content.decode()


def test_remove_profile_picture_action(staff_client, alice):
    services.update_profile(alice, picture=upload(image_bytes()))

    staff_client.post(
        "/admin/accounts/user/",
        {"action": "remove_profile_pictures", "_selected_action": [alice.id]},
    )

    alice.refresh_from_db()
    assert not alice.profile_picture


def test_non_staff_cannot_open_the_admin(client, alice):
    client.force_login(alice)

    assert client.get("/admin/accounts/user/").status_code == 302


# --- seed_demo ----------------------------------------------------------------------------------


def test_seed_demo_creates_mutual_contacts_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    call_command("seed_demo")

    users = User.objects.filter(phone_number__in=["+14155550101", "+14155550102", "+14155550103"])
    assert sorted(users.values_list("name", flat=True)) == ["Alice", "Bob", "Carol"]
    assert Contact.objects.count() == 6
    assert all(user.check_password("demo-password-123") for user in users)
    output = capsys.readouterr().out
    assert "+14155550101" in output and "demo-password-123" in output
    assert not Block.objects.exists()
    # Something to read on the first log-in, made once.
    alice = users.get(name="Alice")
    rows = chat_selectors.chats_for(alice)[:10]
    assert [(row.group or row.peer).name for row in rows] == ["Weekend plans", "Bob"]
    assert Message.objects.count() == 3 and GroupMessage.objects.count() == 1


def change_form(user: User, **changes) -> dict:
    """The Users admin change form as staff would submit it, with ``changes`` applied."""
    data = {
        "phone_number": user.phone_number,
        "name": user.name,
        "status": user.status,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.django_db(transaction=True)
async def test_unticking_active_on_the_change_form_suspends_and_closes_sockets(alice, staff):
    from channels.db import database_sync_to_async
    from django.test import Client

    from moderation.models import AuditLog
    from tests.chats.conftest import connect, receive_until

    socket = await connect(alice)
    staff_client = Client()
    await database_sync_to_async(staff_client.force_login)(staff)

    response = await database_sync_to_async(staff_client.post)(
        f"/admin/accounts/user/{alice.id}/change/", change_form(alice, is_active="", name="Al")
    )

    assert response.status_code == 302
    await receive_until(socket, "account.suspended")
    assert (await socket.receive_output(timeout=2))["code"] == 4403
    alice = await User.objects.aget(id=alice.id)
    assert not alice.is_active and alice.name == "Al"
    assert await AuditLog.objects.filter(
        action=AuditLog.Action.SUSPEND_USER, target_id=alice.id
    ).aexists()


def test_ticking_active_again_reinstates(staff_client, alice):
    services.deactivate_user(User.objects.get(is_staff=True), user=alice)

    response = staff_client.post(
        f"/admin/accounts/user/{alice.id}/change/", change_form(alice, is_active="on")
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active


@pytest.mark.django_db(transaction=True)
async def test_a_staff_password_reset_revokes_the_token_and_closes_sockets(alice, staff):
    from channels.db import database_sync_to_async
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tests.chats.conftest import connect, receive_until

    socket = await connect(alice)
    staff_client = Client()
    await database_sync_to_async(staff_client.force_login)(staff)
    new = "reset-by-staff-2026"

    response = await database_sync_to_async(staff_client.post)(
        f"/admin/accounts/user/{alice.id}/password/",
        {"usable_password": "true", "password1": new, "password2": new},
    )

    assert response.status_code == 302
    await receive_until(socket, "session.revoked")
    assert (await socket.receive_output(timeout=2))["code"] == 4401
    assert not await Token.objects.filter(user_id=alice.id).aexists()
    alice = await User.objects.aget(id=alice.id)
    assert alice.check_password(new)


@pytest.mark.parametrize("password", ["+14155550150", "Added Person", "        "])
def test_admin_forms_refuse_weak_passwords(staff_client, alice, password):
    added = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "phone_number": "+14155550150",
            "name": "Added Person",
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )
    reset = staff_client.post(
        f"/admin/accounts/user/{alice.id}/password/",
        {
            "usable_password": "true",
            "password1": alice.phone_number,
            "password2": alice.phone_number,
        },
    )

    assert added.status_code == 200 and not User.objects.filter(name="Added Person").exists()
    assert reset.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
