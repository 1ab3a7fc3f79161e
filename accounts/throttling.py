"""Rate limits on log-in and registration, counted by the services both faces call
(:func:`accounts.services.log_in`, :func:`accounts.services.sign_up`).

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``login``,
``login_account`` and ``register``) and are counted in the default cache: per client address
(:func:`whatsapp.clientip.client_ip`, which believes ``X-Forwarded-For`` from configured
proxies only) and, for failed log-ins, per phone number as well.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from whatsapp.clientip import client_ip


class _Throttle(SimpleRateThrottle):
    """Read the rate when used, not when DRF was imported (so settings changes apply), and key
    on the client address as :mod:`whatsapp.clientip` finds it."""

    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request.META)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterRateThrottle(_Throttle):
    """Every sign-up attempt from one address counts (:func:`accounts.services.sign_up`)."""

    scope = "register"


class LoginRateThrottle(_Throttle):
    """Failed log-ins from one address count; once over the rate, every attempt is refused.

    ``allow_request`` only looks; :func:`accounts.services.log_in` calls
    :meth:`record_failure` when the credentials were wrong, so people who type their password
    right are never locked out by others' typos on a shared address unless the failures pile up.
    """

    scope = "login"

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self._load(request)
        return len(self.history) < self.num_requests

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def reset(self, request) -> None:
        self.cache.delete(self.get_cache_key(request, None))


class AccountLoginRateThrottle(LoginRateThrottle):
    """Failed log-ins on one phone number, whatever the address: a guesser who spreads over
    many addresses still gets ``login_account`` tries, then every attempt on the number is
    refused until the window passes. A successful log-in clears the count."""

    scope = "login_account"

    def __init__(self, phone_number: str):
        super().__init__()
        self.phone_number = phone_number

    def get_ident(self, request):
        return self.phone_number


def retry_after(throttle: SimpleRateThrottle, request) -> int | None:
    """Seconds to wait if ``throttle`` refuses ``request`` now (recording it if it counts)."""
    if throttle.allow_request(request, None):
        return None
    wait = throttle.wait()
    return max(1, int(wait + 0.999)) if wait is not None else 1
