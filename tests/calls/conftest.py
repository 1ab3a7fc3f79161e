"""Fixtures for calls: calls in each state, built through the services, and a push recorder."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import services as account_services
from calls import services
from calls.models import Call


@pytest.fixture
def pushes(monkeypatch):
    """Every frame that left through whatsapp.realtime after commit, as (group, frame) pairs."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "whatsapp.realtime._send", lambda group, frame, exclude: sent.append((group, frame))
    )
    return sent


@pytest.fixture
def call_rate(settings):
    """``call_rate("3/min")``: a low CALL_RATE, on counters no earlier test has touched."""

    def set_rate(rate: str) -> None:
        cache.clear()  # user ids come back in later tests; their counts must not
        settings.CALL_RATE = rate

    return set_rate


@pytest.fixture
def ringing_call(alice, bob) -> Call:
    """Alice is calling Bob, who has her as a contact; it rings."""
    account_services.add_contact(bob, contact_user=alice)
    return services.start_call(alice, receiver=bob, call_type=Call.CallType.VOICE)


@pytest.fixture
def answered_call(ringing_call, bob) -> Call:
    return services.answer_call(bob, call=ringing_call)


@pytest.fixture
def ended_call(answered_call, alice) -> Call:
    return services.end_call(alice, call=answered_call)


@pytest.fixture
def declined_call(ringing_call, bob) -> Call:
    return services.decline_call(bob, call=ringing_call)


@pytest.fixture
def missed_call(ringing_call, alice) -> Call:
    return services.end_call(alice, call=ringing_call)


@pytest.fixture
def ring_for():
    """``ring_for(call, seconds)``: pretend ``call`` started ringing ``seconds`` ago."""

    def backdate(call: Call, seconds: float) -> Call:
        Call.objects.filter(pk=call.pk).update(
            created_at=timezone.now() - timedelta(seconds=seconds)
        )
        call.refresh_from_db()
        return call

    return backdate
