"""The Calls tab: the call log with direction, type, missed calls, duration and call-back."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from accounts.selectors import known_user_ids
from calls import selectors, services
from calls.models import Call

CALL_LOG_LENGTH = 100


@dataclass(frozen=True)
class CallLogEntry:
    call: Call
    outgoing: bool
    peer: User

    @property
    def missed(self) -> bool:
        """An incoming call nobody picked up: shown in red."""
        return not self.outgoing and self.call.status == Call.Status.MISSED

    @property
    def summary(self) -> str:
        """E.g. "Outgoing video call", "Missed voice call", "Incoming voice call, declined"."""
        kind = self.call.get_call_type_display().lower()
        if self.missed:
            return f"Missed {kind} call"
        text = f"{'Outgoing' if self.outgoing else 'Incoming'} {kind} call"
        outcome = {
            Call.Status.RINGING: "ringing",
            Call.Status.ANSWERED: "in progress",
            Call.Status.DECLINED: "declined",
            Call.Status.MISSED: "not answered",
        }.get(self.call.status)
        return f"{text}, {outcome}" if outcome else text


@login_required
def call_log(request: HttpRequest) -> HttpResponse:
    services.expire_stale_calls()
    me = request.user
    entries = [
        CallLogEntry(
            call=call,
            outgoing=call.caller_id == me.id,
            peer=call.receiver if call.caller_id == me.id else call.caller,
        )
        for call in selectors.call_log_for(me)[:CALL_LOG_LENGTH]
    ]
    # Someone called by id who never reached out: their picture is not for me (404), no avatar.
    known = known_user_ids(me, {entry.peer.id for entry in entries})
    for entry in entries:
        entry.peer.is_stranger = entry.peer.id not in known
    return render(request, "calls/log.html", {"entries": entries, "nav_active": "calls"})
