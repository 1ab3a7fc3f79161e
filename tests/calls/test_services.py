"""The call state machine: every legal transition, every illegal one, and what each pushes."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import services as account_services
from calls import services
from calls.models import Call
from whatsapp.errors import Blocked, Conflict, DomainError, Forbidden, NotFound, RateLimited

VOICE = Call.CallType.VOICE
VIDEO = Call.CallType.VIDEO


def frames_of(pushes, kind):
    return [(group, frame) for group, frame in pushes if frame["type"] == kind]


# ---- start -----------------------------------------------------------------------------------


def test_start_call_rings_only_the_receiver(alice, bob, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = services.start_call(alice, receiver=bob, call_type=VIDEO)

    assert call.status == Call.Status.RINGING
    assert call.call_type == VIDEO
    assert call.call_started_at is None and call.call_ended_at is None
    assert pushes == [(f"user.{bob.id}", pushes[0][1])]
    frame = pushes[0][1]
    assert frame["type"] == "call.incoming"
    assert frame["call"]["call_id"] == call.id
    assert frame["call"]["caller"]["name"] == "Alice"
    assert frame["call"]["status"] == "ringing"


def test_strangers_may_call_each_other(alice, mallory):
    call = services.start_call(mallory, receiver=alice, call_type=VOICE)

    assert call.status == Call.Status.RINGING


def test_unknown_call_type_is_refused(alice, bob):
    with pytest.raises(DomainError) as exc:
        services.start_call(alice, receiver=bob, call_type="fax")

    assert exc.value.field == "call_type"
    assert not Call.objects.exists()


def test_user_cannot_call_themselves(alice):
    with pytest.raises(DomainError) as exc:
        services.start_call(alice, receiver=alice, call_type=VOICE)

    assert exc.value.field == "receiver_id"


def test_deactivated_user_cannot_be_called(alice, bob):
    bob.is_active = False
    bob.save()

    with pytest.raises(NotFound):
        services.start_call(alice, receiver=bob, call_type=VOICE)


@pytest.mark.parametrize("blocker", ["caller", "receiver"])
def test_block_in_either_direction_forbids_calling(alice, bob, blocker, pushes):
    if blocker == "caller":
        account_services.block_user(alice, blocked=bob)
    else:
        account_services.block_user(bob, blocked=alice)

    with pytest.raises(Blocked) as exc:
        services.start_call(alice, receiver=bob, call_type=VOICE)

    assert exc.value.code == "blocked"
    assert not Call.objects.exists()
    assert pushes == []


@pytest.mark.parametrize("state", ["ringing_call", "answered_call"])
def test_caller_already_in_a_call_is_busy(request, state, alice, carol):
    request.getfixturevalue(state)

    with pytest.raises(Conflict) as exc:
        services.start_call(alice, receiver=carol, call_type=VOICE)

    assert exc.value.code == "busy"


@pytest.mark.parametrize("state", ["ringing_call", "answered_call"])
def test_receiver_already_in_a_call_is_busy(request, state, bob, carol):
    request.getfixturevalue(state)

    with pytest.raises(Conflict) as exc:
        services.start_call(carol, receiver=bob, call_type=VOICE)

    assert exc.value.code == "busy"
    assert Call.objects.count() == 1


def test_user_being_rung_cannot_start_another_call(ringing_call, bob, carol):
    with pytest.raises(Conflict) as exc:
        services.start_call(bob, receiver=carol, call_type=VOICE)

    assert exc.value.code == "busy"


@pytest.mark.parametrize("state", ["ended_call", "declined_call", "missed_call"])
def test_finished_call_does_not_make_anyone_busy(request, state, alice, bob):
    request.getfixturevalue(state)

    call = services.start_call(bob, receiver=alice, call_type=VOICE)

    assert call.status == Call.Status.RINGING


def test_call_ringing_past_the_timeout_does_not_make_busy(ringing_call, ring_for, alice, carol):
    ring_for(ringing_call, 46)

    call = services.start_call(alice, receiver=carol, call_type=VOICE)

    assert call.status == Call.Status.RINGING
    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.MISSED


# ---- callers the receiver does not know ------------------------------------------------------


def test_a_stranger_ringing_does_not_make_the_receiver_busy_for_contacts(
    alice, bob, mallory, pushes, django_capture_on_commit_callbacks
):
    account_services.add_contact(alice, contact_user=bob)
    stranger = services.start_call(mallory, receiver=alice, call_type=VOICE)

    with django_capture_on_commit_callbacks(execute=True):
        contact = services.start_call(bob, receiver=alice, call_type=VOICE)

    assert contact.status == Call.Status.RINGING
    assert Call.objects.get(pk=stranger.pk).status == Call.Status.RINGING
    assert [frame["call"]["call_id"] for _, frame in frames_of(pushes, "call.incoming")] == [
        contact.id
    ]


def test_a_stranger_still_rings_the_receiver(
    alice, mallory, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = services.start_call(mallory, receiver=alice, call_type=VOICE)

    assert frames_of(pushes, "call.incoming") == [(f"user.{alice.id}", pushes[0][1])]
    assert pushes[0][1]["call"]["call_id"] == call.id


def test_being_rung_by_a_stranger_does_not_stop_calling_out(alice, bob, mallory):
    services.start_call(mallory, receiver=alice, call_type=VOICE)

    call = services.start_call(alice, receiver=bob, call_type=VOICE)

    assert call.status == Call.Status.RINGING


def test_a_contact_ringing_keeps_strangers_out(alice, bob, mallory):
    account_services.add_contact(alice, contact_user=bob)
    services.start_call(bob, receiver=alice, call_type=VOICE)

    with pytest.raises(Conflict) as exc:
        services.start_call(mallory, receiver=alice, call_type=VOICE)

    assert exc.value.code == "busy"


def test_an_answered_call_from_a_stranger_makes_the_receiver_busy(alice, bob, mallory):
    account_services.add_contact(alice, contact_user=bob)
    services.answer_call(alice, call=services.start_call(mallory, receiver=alice, call_type=VOICE))

    with pytest.raises(Conflict) as exc:
        services.start_call(bob, receiver=alice, call_type=VOICE)

    assert exc.value.code == "busy"


def test_a_stranger_ringing_is_still_busy_themselves(alice, mallory, carol):
    services.start_call(mallory, receiver=alice, call_type=VOICE)

    with pytest.raises(Conflict) as exc:
        services.start_call(mallory, receiver=carol, call_type=VOICE)

    assert exc.value.code == "busy"


# ---- rate ------------------------------------------------------------------------------------


def test_calls_beyond_the_rate_are_refused_with_a_wait(alice, bob, call_rate, pushes):
    call_rate("3/min")
    for _ in range(3):
        services.end_call(alice, call=services.start_call(alice, receiver=bob, call_type=VOICE))

    with pytest.raises(RateLimited) as exc:
        services.start_call(alice, receiver=bob, call_type=VOICE)

    assert exc.value.code == "rate_limited"
    assert 1 <= exc.value.retry_after <= 60
    assert Call.objects.count() == 3


def test_refused_attempts_count_against_the_rate(alice, bob, carol, call_rate):
    call_rate("2/min")
    services.start_call(bob, receiver=carol, call_type=VOICE)
    for _ in range(2):
        with pytest.raises(Conflict):
            services.start_call(alice, receiver=bob, call_type=VOICE)

    with pytest.raises(RateLimited):
        services.start_call(alice, receiver=bob, call_type=VOICE)


def test_the_call_rate_is_per_caller(alice, bob, carol, call_rate):
    call_rate("1/min")
    services.end_call(alice, call=services.start_call(alice, receiver=bob, call_type=VOICE))

    call = services.start_call(carol, receiver=bob, call_type=VOICE)

    assert call.status == Call.Status.RINGING


# ---- answer ----------------------------------------------------------------------------------


def test_receiver_answers_a_ringing_call(
    ringing_call, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = services.answer_call(bob, call=ringing_call)

    assert call.status == Call.Status.ANSWERED
    assert call.call_started_at is not None
    assert call.call_ended_at is None
    assert sorted(group for group, _ in frames_of(pushes, "call.answered")) == sorted(
        [f"user.{alice.id}", f"user.{bob.id}"]
    )
    assert frames_of(pushes, "call.answered")[0][1]["call"]["status"] == "answered"


def test_caller_cannot_answer_their_own_call(ringing_call, alice):
    with pytest.raises(Forbidden):
        services.answer_call(alice, call=ringing_call)

    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.RINGING


def test_third_user_cannot_answer(ringing_call, carol):
    with pytest.raises(NotFound):
        services.answer_call(carol, call=ringing_call)


@pytest.mark.parametrize("state", ["answered_call", "ended_call", "declined_call", "missed_call"])
def test_only_a_ringing_call_can_be_answered(request, state, bob):
    call = request.getfixturevalue(state)
    before = Call.objects.get(pk=call.pk).status

    with pytest.raises(Conflict) as exc:
        services.answer_call(bob, call=call)

    assert exc.value.code == "not_ringing"
    assert Call.objects.get(pk=call.pk).status == before


def test_answering_after_the_ring_timeout_finds_it_missed(ringing_call, ring_for, bob):
    ring_for(ringing_call, 45)

    with pytest.raises(Conflict):
        services.answer_call(bob, call=ringing_call)

    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.MISSED
    assert ringing_call.call_started_at is None


# ---- decline ---------------------------------------------------------------------------------


def test_receiver_declines_a_ringing_call(
    ringing_call, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = services.decline_call(bob, call=ringing_call)

    assert call.status == Call.Status.DECLINED
    assert call.call_ended_at is not None
    assert call.call_started_at is None
    assert call.duration_seconds is None
    ended = frames_of(pushes, "call.ended")
    assert sorted(group for group, _ in ended) == sorted([f"user.{alice.id}", f"user.{bob.id}"])
    assert ended[0][1]["call"]["status"] == "declined"


def test_caller_cannot_decline(ringing_call, alice):
    with pytest.raises(Forbidden):
        services.decline_call(alice, call=ringing_call)


def test_third_user_cannot_decline(ringing_call, carol):
    with pytest.raises(NotFound):
        services.decline_call(carol, call=ringing_call)


@pytest.mark.parametrize("state", ["answered_call", "ended_call", "declined_call", "missed_call"])
def test_only_a_ringing_call_can_be_declined(request, state, bob):
    call = request.getfixturevalue(state)

    with pytest.raises(Conflict) as exc:
        services.decline_call(bob, call=call)

    assert exc.value.code == "not_ringing"


# ---- end -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_either_party_ends_an_answered_call(
    request, answered_call, who, alice, bob, pushes, django_capture_on_commit_callbacks
):
    Call.objects.filter(pk=answered_call.pk).update(
        call_started_at=timezone.now() - timedelta(seconds=65)
    )

    with django_capture_on_commit_callbacks(execute=True):
        call = services.end_call(request.getfixturevalue(who), call=answered_call)

    assert call.status == Call.Status.ENDED
    assert call.call_ended_at is not None
    assert 65 <= call.duration_seconds <= 66
    ended = frames_of(pushes, "call.ended")
    assert sorted(group for group, _ in ended) == sorted([f"user.{alice.id}", f"user.{bob.id}"])
    assert ended[0][1]["call"]["duration_seconds"] == call.duration_seconds


def test_caller_hanging_up_a_ringing_call_leaves_it_missed(ringing_call, alice):
    call = services.end_call(alice, call=ringing_call)

    assert call.status == Call.Status.MISSED
    assert call.call_ended_at is not None


def test_receiver_hanging_up_a_ringing_call_declines_it(ringing_call, bob):
    call = services.end_call(bob, call=ringing_call)

    assert call.status == Call.Status.DECLINED


def test_third_user_cannot_end_a_call(answered_call, carol):
    with pytest.raises(NotFound):
        services.end_call(carol, call=answered_call)

    answered_call.refresh_from_db()
    assert answered_call.status == Call.Status.ANSWERED


@pytest.mark.parametrize("state", ["ended_call", "declined_call", "missed_call"])
def test_a_finished_call_cannot_be_ended_again(request, state, alice, pushes):
    call = request.getfixturevalue(state)
    ended_at = Call.objects.get(pk=call.pk).call_ended_at

    with pytest.raises(Conflict) as exc:
        services.end_call(alice, call=call)

    assert exc.value.code == "not_active"
    assert Call.objects.get(pk=call.pk).call_ended_at == ended_at


def test_service_reads_the_current_row_not_the_stale_instance(ringing_call, alice, bob):
    services.decline_call(bob, call=Call.objects.get(pk=ringing_call.pk))

    with pytest.raises(Conflict):
        services.end_call(alice, call=ringing_call)  # this instance still says "ringing"


# ---- missed after the ring timeout -----------------------------------------------------------


def test_calls_ringing_past_the_timeout_become_missed(
    ringing_call, ring_for, alice, bob, pushes, django_capture_on_commit_callbacks
):
    ring_for(ringing_call, 50)

    with django_capture_on_commit_callbacks(execute=True):
        expired = services.expire_stale_calls()

    assert [call.id for call in expired] == [ringing_call.id]
    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.MISSED
    assert ringing_call.call_ended_at == ringing_call.created_at + timedelta(seconds=45)
    ended = frames_of(pushes, "call.ended")
    assert sorted(group for group, _ in ended) == sorted([f"user.{alice.id}", f"user.{bob.id}"])
    assert ended[0][1]["call"]["status"] == "missed"


def test_calls_within_the_ring_time_keep_ringing(ringing_call, ring_for):
    ring_for(ringing_call, 40)

    assert services.expire_stale_calls() == []

    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.RINGING


def test_answered_calls_never_expire(answered_call, ring_for):
    ring_for(answered_call, 3600)

    assert services.expire_stale_calls() == []

    answered_call.refresh_from_db()
    assert answered_call.status == Call.Status.ANSWERED


def test_ring_timeout_setting_is_read_when_expiring(settings, ringing_call, ring_for):
    settings.CALL_RING_TIMEOUT_SECONDS = 10
    ring_for(ringing_call, 11)

    expired = services.expire_stale_calls()

    assert [call.id for call in expired] == [ringing_call.id]


def test_expire_calls_command_marks_stale_calls_missed(ringing_call, ring_for):
    ring_for(ringing_call, 100)
    out = StringIO()

    call_command("expire_calls", stdout=out)

    ringing_call.refresh_from_db()
    assert ringing_call.status == Call.Status.MISSED
    assert "1 call(s) marked missed" in out.getvalue()


# ---- signals and dropped sockets -------------------------------------------------------------


def test_signal_goes_to_the_other_party_only(
    answered_call, alice, bob, pushes, django_capture_on_commit_callbacks
):
    signal = {"type": "offer", "sdp": "v=0"}

    with django_capture_on_commit_callbacks(execute=True):
        services.relay_signal(alice, call=answered_call, signal=signal)

    assert pushes == [
        (
            f"user.{bob.id}",
            {
                "type": "call.signal",
                "call_id": answered_call.id,
                "signal": signal,
                "from_user_id": alice.id,
            },
        )
    ]


def test_third_user_cannot_signal(answered_call, carol, pushes):
    with pytest.raises(NotFound):
        services.relay_signal(carol, call=answered_call, signal={"type": "offer"})

    assert pushes == []


@pytest.mark.parametrize("state", ["ringing_call", "ended_call", "declined_call", "missed_call"])
def test_signals_need_an_answered_call(request, state, alice, pushes):
    call = Call.objects.get(pk=request.getfixturevalue(state).pk)

    with pytest.raises(Conflict) as exc:
        services.relay_signal(alice, call=call, signal={"type": "offer"})

    assert exc.value.code == "not_active"
    assert frames_of(pushes, "call.signal") == []


def test_calls_held_by_a_closed_socket_are_ended(ended_call, alice, carol):
    live = services.start_call(alice, receiver=carol, call_type=VOICE)
    live = services.answer_call(carol, call=live)

    ended = services.end_calls_left_by(alice, call_ids=[ended_call.id, live.id])

    assert [call.id for call in ended] == [live.id]
    live.refresh_from_db()
    assert live.status == Call.Status.ENDED
