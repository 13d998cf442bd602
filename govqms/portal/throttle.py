"""The throttle of the public dossier lookup (the page /tra-cuu/ and the API twin).

Dossier codes are sequential per desk and day (`<unit>-<yymmdd>-<nnnn>`): without a limit anyone
could walk through them and learn every dossier's status. The rule (docs/security.md):

* every lookup counts against `GOVQMS_LOOKUP_RATE` ("30/10m": 30 lookups per 10 minutes);
* a lookup of a code that does not exist also counts against `GOVQMS_LOOKUP_MISS_RATE`
  ("10/10m"): guessing finds mostly nothing, while a citizen mistypes a code a few times at most;
* over either limit the client is refused (429, Retry-After) until that window ends. The page
  and the API share the counters.

Windows are fixed: the window index is `time() // seconds`, part of the cache key, so a counter
is one key made with `cache.add` and raised with `cache.incr` (atomic on the local-memory and
Redis backends) and a new window starts from zero by itself. The client is `REMOTE_ADDR` —
X-Forwarded-For is never trusted in GovQMS (no trusted-proxy setting) — and an IPv6 client counts
per /64 network (one subscriber usually holds a whole /64). `GOVQMS_LOOKUP_EXEMPT_NETWORKS` lists
networks never throttled (the one-stop centre's own kiosks behind one address).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import dateformat
from django.utils.translation import ngettext

from govqms.dossiers.selectors import PublicStatus, public_lookup

logger = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFF = "off"
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


@dataclass(frozen=True)
class Refusal:
    """A refused lookup: how long until the client may try again."""

    retry_after: int  # whole seconds, at least 1 (the Retry-After header)
    until: dt.datetime  # aware


# --- Pure parts -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def parse_rate(value: str | None) -> Rate | None:
    """Read a rate: "30/10m" → Rate(30, 600), "5/m" → Rate(5, 60) (units s, m, h, d).

    "off" → None (no limit); anything else raises ImproperlyConfigured."""
    text = "".join((value or "").split()).lower()
    if text == OFF:
        return None
    match = _RATE.match(text)
    if not match or int(match[1]) < 1 or (match[2] and int(match[2]) < 1):
        raise ImproperlyConfigured(
            f"lookup rate {value!r}: expected '<count>/<n><s|m|h|d>' (e.g. '30/10m') or 'off'"
        )
    return Rate(int(match[1]), int(match[2] or 1) * _UNIT_SECONDS[match[3]])


def window(now: float, seconds: int) -> tuple[int, int]:
    """The fixed window holding `now`: (its index, whole seconds until it ends, at least 1)."""
    index = int(now // seconds)
    return index, max(1, math.ceil((index + 1) * seconds - now))


def client_of(remote_addr: str | None) -> str:
    """The counted client: the IPv4 address, or the /64 network of an IPv6 address."""
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


@functools.lru_cache(maxsize=4)
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def exempt(remote_addr: str | None, networks: tuple[str, ...]) -> bool:
    """Is the address in one of the exempt networks (CIDR strings)?"""
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(networks))


def _now() -> float:
    """The clock of the windows (tests move it)."""
    return time.time()


# --- Counters in the cache --------------------------------------------------------------------


def _key(kind: str, client: str, rate: Rate, index: int) -> str:
    return f"govqms:lookup:{kind}:{rate.seconds}:{index}:{client}"


def _count(key: str, timeout: int) -> int:
    """Add one to a counter atomically; it lives until its window has ended."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first hit of a new key
        cache.set(key, 1, timeout)
        return 1


def _configuration() -> tuple[Rate | None, Rate | None, tuple[str, ...]]:
    return (
        parse_rate(getattr(settings, "GOVQMS_LOOKUP_RATE", OFF)),
        parse_rate(getattr(settings, "GOVQMS_LOOKUP_MISS_RATE", OFF)),
        tuple(getattr(settings, "GOVQMS_LOOKUP_EXEMPT_NETWORKS", ())),
    )


def _admit(client: str, total: Rate | None, misses: Rate | None) -> Refusal | None:
    """Count one lookup by the client; a Refusal when it is over a limit."""
    now = _now()
    blocked: list[Rate] = []
    attempts = missed = 0
    try:
        if total is not None:
            index, left = window(now, total.seconds)
            attempts = _count(_key("all", client, total, index), left + 1)
            if attempts > total.limit:
                blocked.append(total)
        if misses is not None:
            index, _left = window(now, misses.seconds)
            missed = cache.get(_key("miss", client, misses, index), 0)
            if missed >= misses.limit:
                blocked.append(misses)
        if not blocked:
            return None
        longest = max(blocked, key=lambda r: r.seconds)
        index, left = window(now, longest.seconds)
        refused = _count(_key("refused", client, longest, index), left + 1)
    except Exception:  # the cache is down: the lookup stays available, and the logs say so
        logger.exception("public lookup throttle: the cache failed; lookup let through")
        return None
    if refused & (refused - 1) == 0:  # the 1st, 2nd, 4th, 8th… refusal in the window
        logger.warning(
            "public lookup throttled: client=%s lookups=%d unknown=%d refusals=%d window=%ds",
            client,
            attempts,
            missed,
            refused,
            longest.seconds,
        )
    retry_after = max(window(now, r.seconds)[1] for r in blocked)
    return Refusal(
        retry_after=retry_after, until=dt.datetime.fromtimestamp(now + retry_after, tz=dt.UTC)
    )


def _missed(client: str, misses: Rate) -> None:
    """Count a lookup of a code that does not exist."""
    index, left = window(_now(), misses.seconds)
    try:
        _count(_key("miss", client, misses, index), left + 1)
    except Exception:
        logger.exception("public lookup throttle: the cache failed; unknown code not counted")


def throttled_lookup(request, code: str) -> tuple[PublicStatus | None, Refusal | None]:
    """The public lookup of `code` behind the throttle: (the status or None, the refusal)."""
    remote_addr = request.META.get("REMOTE_ADDR")
    total, misses, networks = _configuration()
    if (total is None and misses is None) or exempt(remote_addr, networks):
        return public_lookup(code), None
    client = client_of(remote_addr)
    refusal = _admit(client, total, misses)
    if refusal is not None:
        return None, refusal
    result = public_lookup(code)
    if result is None and misses is not None:
        _missed(client, misses)
    return result, None


def refusal_message(refusal: Refusal) -> str:
    """What the citizen reads: why, and when to try again (Vietnam time)."""
    minutes = max(1, math.ceil(refusal.retry_after / 60))
    at = dateformat.format(refusal.until.astimezone(LOCAL_TZ), "H:i")
    return ngettext(
        "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Để bảo vệ thông tin hồ sơ, hệ thống "
        "tạm ngừng tra cứu từ địa chỉ mạng của bạn. Vui lòng thử lại sau %(minutes)d phút "
        "(lúc %(time)s, giờ Việt Nam).",
        "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Để bảo vệ thông tin hồ sơ, hệ thống "
        "tạm ngừng tra cứu từ địa chỉ mạng của bạn. Vui lòng thử lại sau %(minutes)d phút "
        "(lúc %(time)s, giờ Việt Nam).",
        minutes,
    ) % {"minutes": minutes, "time": at}


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: the rates and networks parse (else every lookup would fail)."""
    errors = []
    for name in ("GOVQMS_LOOKUP_RATE", "GOVQMS_LOOKUP_MISS_RATE"):
        try:
            parse_rate(getattr(settings, name, OFF))
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="govqms.portal.E001"))
    try:
        _networks(tuple(getattr(settings, "GOVQMS_LOOKUP_EXEMPT_NETWORKS", ())))
    except ValueError as exc:
        errors.append(
            checks.Error(f"GOVQMS_LOOKUP_EXEMPT_NETWORKS: {exc}", id="govqms.portal.E002")
        )
    return errors
