"""Staff see calls in the admin, read-only, searchable by phone number or name."""

import re

import pytest

from calls.models import Call


@pytest.fixture
def staff_client(client, make_user):
    staff = make_user("Staff", "+14155550900")
    staff.is_staff = True
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def test_admin_lists_calls_with_duration_and_finds_them_by_name(staff_client, ended_call, carol):
    response = staff_client.get("/admin/calls/call/", {"q": "Bob"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/admin/calls/call/{ended_call.id}/" in html
    assert re.search(r'<td class="field-duration">\d+:\d\d</td>', html)
    assert staff_client.get("/admin/calls/call/", {"q": "Carol"}).context["cl"].result_count == 0


def test_admin_filters_by_status_and_type(staff_client, ended_call):
    assert (
        staff_client.get("/admin/calls/call/", {"status": "missed"}).context["cl"].result_count == 0
    )
    assert (
        staff_client.get("/admin/calls/call/", {"status": "ended", "call_type": "voice"})
        .context["cl"]
        .result_count
        == 1
    )


def test_calls_cannot_be_added_or_edited_in_the_admin(staff_client, ended_call):
    assert staff_client.get("/admin/calls/call/add/").status_code == 403

    staff_client.post(f"/admin/calls/call/{ended_call.id}/change/", {"status": "ringing"})

    assert Call.objects.get(pk=ended_call.pk).status == Call.Status.ENDED
