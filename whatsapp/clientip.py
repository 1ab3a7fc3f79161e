"""The address a request came from, trusting ``X-Forwarded-For`` only from configured proxies.

Every per-address limit (log-in, sign-up) keys on :func:`client_ip`. ``X-Forwarded-For`` is
whatever the client wrote, plus one address appended by each proxy it passed: only the part
appended by proxies we run may be believed. With ``TRUSTED_PROXIES`` empty (the default) the
header is ignored and the peer address (``REMOTE_ADDR``) is the client: right when nothing
stands in front of the app, and right behind uvicorn ``--proxy-headers
--forwarded-allow-ips <proxy>``, which puts the client's address in ``REMOTE_ADDR`` itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(meta: Mapping[str, str]) -> str:
    """The client's address for a request's ``META`` (or an ASGI scope turned into one).

    From a trusted proxy, ``X-Forwarded-For`` is read from the right, past every trusted hop:
    the first address no trusted proxy vouches for is the client. A malformed one (never
    written by a proxy of ours) falls back to the peer address.
    """
    remote = meta.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    # Every hop is one of ours: the client itself is on a trusted network.
    return hops[0] if hops else remote
