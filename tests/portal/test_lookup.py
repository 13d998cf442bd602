"""The public lookup page: no login, no personal data, not indexed, accessible form; it is the
target of the QR code on every slip."""

import datetime as dt
import logging
import os
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as configured
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from govqms.api import api as root_api
from govqms.core.models import AuditEntry
from govqms.dossiers import selectors, services
from govqms.portal import throttle
from tests.dossiers.conftest import local

APPLICANT = services.ApplicantData(
    name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", id_number="001099012345"
)
SECRETS = (
    "Nguyễn Văn An",
    "Nguyễn V. A.",
    "0912345678",
    "091****678",
    "an@example.vn",
    "001099012345",
)


@pytest.fixture
def dossier(version, users, tree):
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=APPLICANT,
        at=local(2026, 3, 3, 9, 0),
    )


class Labels(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))


def test_form_without_login(client, db):
    response = client.get(reverse("portal:lookup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="vi"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    parser = Labels()
    parser.feed(html)
    assert parser.inputs and all(i in parser.labels for i in parser.inputs)
    assert "Tra cứu tình trạng hồ sơ" in html


def test_lookup_shows_status_and_date_without_personal_data(client, dossier):
    response = client.get(reverse("portal:lookup"), {"ma": dossier.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert dossier.code in html
    assert "Thủ tục đăng ký khai sinh" in html
    assert "Đã tiếp nhận" in html  # the status label
    assert "09:00, 04/03/2026" in html  # the expected return date (Hanoi time)
    assert "Phường Hoàn Kiếm" in html
    assert "quá ngày hẹn trả" in html  # received in March 2026: overdue by now, said plainly
    for secret in SECRETS:
        assert secret not in html
    assert not AuditEntry.objects.filter(action="read").exists()


def test_lookup_trims_the_code_and_says_when_unknown(client, dossier):
    response = client.get(reverse("portal:lookup"), {"ma": f"  {dossier.code} "})
    assert response.status_code == 200 and "Thủ tục đăng ký khai sinh" in response.content.decode()
    response = client.get(reverse("portal:lookup"), {"ma": "00070-000000-0000"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy hồ sơ" in html and 'role="alert"' in html
    assert 'aria-invalid="true"' in html


def test_supplement_and_reappointment_are_explained(client, dossier, users):
    services.dossier_event_record(
        actor=users["leader_a"],
        dossier=dossier,
        kind="reappointed",
        occurred_at=local(2026, 3, 3, 16, 0),
        reason="Chờ xác minh tại nơi cư trú cũ của ông Nguyễn Văn An",
        data={"new_due_at": local(2026, 3, 9, 16, 30).isoformat()},
    )
    services.dossier_event_record(
        actor=users["handler_a"],
        dossier=dossier,
        kind="supplement_requested",
        occurred_at=local(2026, 3, 4, 9, 0),
        reason="Bổ sung giấy tờ của ông Nguyễn Văn An",
    )
    html = client.get(reverse("portal:lookup"), {"ma": dossier.code}).content.decode()
    assert "cần bổ sung" in html
    assert "xin lỗi và hẹn lại" in html
    assert "Chờ xác minh" not in html and "Bổ sung giấy tờ" not in html  # free text may name people
    for secret in SECRETS:
        assert secret not in html


def test_public_lookup_selector_has_no_applicant_field(dossier):
    result = selectors.public_lookup(dossier.code)
    fields = set(result.__dataclass_fields__)
    assert not any("applicant" in f or "phone" in f or "email" in f for f in fields)
    assert selectors.public_lookup("") is None
    assert selectors.public_lookup("x" * 200) is None


def test_signed_in_staff_see_the_same_public_page(client, dossier, users):
    client.force_login(users["leader_a"])
    html = client.get(reverse("portal:lookup"), {"ma": dossier.code}).content.decode()
    for secret in SECRETS:
        assert secret not in html


# --- The throttle: sequential codes must not be walked through --------------------------------

NOON = dt.datetime(2026, 3, 3, 9, 2, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp()
MISSING = "00070-000000-0000"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, fixed at 09:02 Hanoi time; `clock.now += 600` moves it."""

    class Clock:
        now = NOON

    monkeypatch.setattr(throttle, "_now", lambda: Clock.now)
    return Clock


@pytest.fixture
def tight(settings, clock):
    """3 lookups per 10 minutes, of which 2 unknown codes."""
    settings.GOVQMS_LOOKUP_RATE = "3/10m"
    settings.GOVQMS_LOOKUP_MISS_RATE = "2/10m"
    settings.GOVQMS_LOOKUP_EXEMPT_NETWORKS = []
    return clock


def look(client, code, ip="198.51.100.10"):
    return client.get(reverse("portal:lookup"), {"ma": code}, REMOTE_ADDR=ip)


def api(client, code, ip="198.51.100.10"):
    return client.get(f"/api/v1/public/dossiers/{code}", REMOTE_ADDR=ip)


def test_defaults_are_a_documented_rate():
    assert configured.GOVQMS_LOOKUP_RATE == "30/10m"
    assert configured.GOVQMS_LOOKUP_MISS_RATE == "10/10m"
    assert throttle.parse_rate(configured.GOVQMS_LOOKUP_RATE) == throttle.Rate(30, 600)
    assert throttle.check_settings() == []


def test_under_the_limit_lookups_work(client, dossier, tight):
    for _ in range(3):
        response = look(client, dossier.code)
        assert response.status_code == 200
        assert "Thủ tục đăng ký khai sinh" in response.content.decode()
        assert not response.has_header("Retry-After")


def test_over_the_limit_429_with_message_form_and_retry_after(client, dossier, tight):
    for _ in range(3):
        assert look(client, dossier.code).status_code == 200
    response = look(client, dossier.code)
    assert response.status_code == 429
    assert response["Retry-After"] == "480"  # 09:02 → the window ends at 09:10
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "tra cứu quá nhiều lần" in html
    assert "thử lại sau 8 phút (lúc 09:10, giờ Việt Nam)" in html
    assert 'role="alert"' in html and 'id="ma-refused"' in html
    assert 'name="ma"' in html and dossier.code in html  # the form, with the code kept
    assert "Thủ tục đăng ký khai sinh" not in html  # no status while refused
    assert "Không tìm thấy hồ sơ" not in html  # and not a "not found" either
    assert 'aria-invalid="true"' not in html


def test_the_empty_form_is_never_counted_nor_refused(client, dossier, tight):
    for _ in range(10):
        assert client.get(reverse("portal:lookup"), REMOTE_ADDR="198.51.100.10").status_code == 200
    assert look(client, dossier.code).status_code == 200


def test_unknown_codes_count_against_a_lower_limit(client, dossier, tight):
    assert look(client, MISSING).status_code == 404
    assert look(client, "00070-000000-0001").status_code == 404
    # 3 lookups are allowed, but 2 unknown codes already stop this client, even for a real code.
    response = look(client, dossier.code)
    assert response.status_code == 429
    assert "Thủ tục đăng ký khai sinh" not in response.content.decode()


def test_hits_do_not_use_up_the_misses(client, dossier, settings, tight):
    settings.GOVQMS_LOOKUP_RATE = "10/10m"
    for _ in range(5):
        assert look(client, dossier.code).status_code == 200
    assert look(client, MISSING).status_code == 404
    assert look(client, MISSING).status_code == 404
    assert look(client, dossier.code).status_code == 429


def test_the_window_resets(client, dossier, tight):
    for _ in range(3):
        look(client, dossier.code)
    assert look(client, dossier.code).status_code == 429
    tight.now += 479  # 09:09:59: still the same window
    assert look(client, dossier.code).status_code == 429
    tight.now += 1  # 09:10:00: a new window
    for _ in range(3):
        assert look(client, dossier.code).status_code == 200
    assert look(client, dossier.code).status_code == 429


def test_refused_lookups_do_not_extend_the_block(client, dossier, tight):
    for _ in range(3):
        look(client, dossier.code)
    for _ in range(20):  # hammering while refused
        assert look(client, dossier.code)["Retry-After"] == "480"
    tight.now += 480
    assert look(client, dossier.code).status_code == 200


def test_other_clients_are_not_affected(client, dossier, tight):
    for _ in range(2):
        look(client, MISSING)
    assert look(client, dossier.code).status_code == 429
    assert look(client, dossier.code, ip="198.51.100.11").status_code == 200
    assert look(client, dossier.code, ip="2001:db8:1:2::5").status_code == 200


def test_x_forwarded_for_is_not_trusted(client, dossier, tight):
    for i in range(3):
        response = client.get(
            reverse("portal:lookup"),
            {"ma": dossier.code},
            REMOTE_ADDR="198.51.100.10",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
        assert response.status_code == 200
    response = client.get(
        reverse("portal:lookup"),
        {"ma": dossier.code},
        REMOTE_ADDR="198.51.100.10",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429


def test_an_ipv6_client_counts_per_64(client, dossier, tight):
    for i in range(3):  # a subscriber's /64 holds 2^64 addresses: changing them does not help
        assert look(client, dossier.code, ip=f"2001:db8:1:2::{i + 1}").status_code == 200
    assert look(client, dossier.code, ip="2001:db8:1:2:ffff::9").status_code == 429
    assert look(client, dossier.code, ip="2001:db8:1:3::1").status_code == 200


def test_exempt_networks_are_not_throttled(client, dossier, settings, tight):
    settings.GOVQMS_LOOKUP_EXEMPT_NETWORKS = ["192.0.2.0/28"]
    for _ in range(6):
        assert look(client, MISSING, ip="192.0.2.5").status_code == 404
    assert look(client, dossier.code, ip="192.0.2.5").status_code == 200
    for _ in range(2):
        look(client, MISSING, ip="192.0.2.17")  # outside the /28
    assert look(client, dossier.code, ip="192.0.2.17").status_code == 429


def test_off_turns_the_throttle_off(client, dossier, settings, tight):
    settings.GOVQMS_LOOKUP_RATE = "off"
    settings.GOVQMS_LOOKUP_MISS_RATE = "off"
    for _ in range(8):
        assert look(client, MISSING).status_code == 404
    assert look(client, dossier.code).status_code == 200


def test_the_api_is_throttled_with_the_same_counters(client, dossier, tight):
    assert api(client, dossier.code).json()["found"] is True
    assert api(client, MISSING).json()["found"] is False
    assert look(client, MISSING).status_code == 404  # the page and the API share the counters
    response = api(client, dossier.code)
    assert response.status_code == 429
    assert response["Retry-After"] == "480"
    body = response.json()
    assert body["retry_after"] == 480
    assert "tra cứu quá nhiều lần" in body["detail"] and "09:10" in body["detail"]
    assert "found" not in body and "status" not in body
    assert api(client, dossier.code, ip="198.51.100.11").status_code == 200
    tight.now += 480
    assert api(client, dossier.code).status_code == 200


def test_the_api_documents_the_429():
    operation = root_api.get_openapi_schema()["paths"]["/api/v1/public/dossiers/{code}"]["get"]
    assert set(operation["responses"]) == {200, 429}


def test_refusals_are_logged_without_codes_and_without_flooding(client, dossier, tight, caplog):
    caplog.set_level(logging.WARNING, logger="govqms.portal.throttle")
    for _ in range(3):
        look(client, dossier.code)
    assert not caplog.records
    for _ in range(9):  # refusals 1…9: logged at 1, 2, 4 and 8
        look(client, dossier.code)
    records = [r for r in caplog.records if r.name == "govqms.portal.throttle"]
    assert [r.levelname for r in records] == ["WARNING"] * 4
    first, last = records[0].getMessage(), records[-1].getMessage()
    assert "client=198.51.100.10" in first and "lookups=4" in first and "refusals=1" in first
    assert "lookups=11" in last and "refusals=8" in last
    for record in records:
        assert dossier.code not in record.getMessage()


def test_a_failing_cache_lets_lookups_through_and_says_so(
    client, dossier, tight, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttle.cache, "add", broken)
    caplog.set_level(logging.ERROR, logger="govqms.portal.throttle")
    for _ in range(5):
        assert look(client, dossier.code).status_code == 200
    assert any("cache failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("30/10m", throttle.Rate(30, 600)),
        ("30 / 10 m", throttle.Rate(30, 600)),
        ("5/m", throttle.Rate(5, 60)),
        ("100/1h", throttle.Rate(100, 3600)),
        ("500/D", throttle.Rate(500, 86400)),
        ("20/45s", throttle.Rate(20, 45)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_parse_rate(value, rate):
    assert throttle.parse_rate(value) == rate


@pytest.mark.parametrize("value", ["", "30", "0/10m", "30/0m", "30/10x", "-1/10m", "30/10m/2"])
def test_parse_rate_refuses_nonsense(value):
    with pytest.raises(ImproperlyConfigured):
        throttle.parse_rate(value)


def test_the_system_check_names_a_bad_setting(settings):
    settings.GOVQMS_LOOKUP_RATE = "thirty"
    settings.GOVQMS_LOOKUP_EXEMPT_NETWORKS = ["10.0.0.0/33"]
    assert {e.id for e in throttle.check_settings()} == {"govqms.portal.E001", "govqms.portal.E002"}


@pytest.mark.parametrize(
    ("remote_addr", "client"),
    [
        ("198.51.100.10", "198.51.100.10"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.10", "198.51.100.10"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_client_of(remote_addr, client):
    assert throttle.client_of(remote_addr) == client


@given(
    now=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    seconds=st.integers(min_value=1, max_value=7 * 86400),
)
def test_a_window_ends_within_its_length_and_the_next_one_begins(now, seconds):
    index, left = throttle.window(now, seconds)
    assert 1 <= left <= seconds
    assert index * seconds <= now < (index + 1) * seconds
    assert throttle.window(now + left, seconds)[0] > index


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache(settings):
    """Django's Redis cache on the machine's Redis (database 15), as CACHE_URL selects it.
    `.ci/run` starts Redis and sets GOVQMS_REQUIRE_SERVICES: there an absent Redis fails."""
    import redis

    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("GOVQMS_REQUIRE_SERVICES"):
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    server.flushdb()
    yield server
    server.flushdb()


def test_counters_live_in_redis_where_every_process_sees_them(client, dossier, tight, redis_cache):
    for _ in range(3):
        assert look(client, dossier.code).status_code == 200
    keys = redis_cache.keys("*govqms:lookup:*")
    assert keys  # the counter is in Redis, not in this process's memory
    assert look(client, dossier.code).status_code == 429
    redis_cache.flushdb()  # what another node would see after the window: a fresh count
    assert look(client, dossier.code).status_code == 200
