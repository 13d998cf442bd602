"""Calendar data in the database: seeding, admin corrections, versions, office hours per unit."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from govqms.core.models import AuditEntry
from govqms.workdays import selectors, services
from govqms.workdays.models import CalendarDay, HolidayCalendar, OfficeHours
from govqms.workdays.seed import vn_calendar, vn_calendar_days
from tests.conftest import make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.fixture
def seeded():
    return services.calendar_seed(actor=None, years=[2025, 2026])


def test_seed_loads_vn_and_writes_one_audit_entry(seeded):
    cal = seeded.calendar
    assert (cal.code, cal.first_year, cal.last_year) == ("VN", 2025, 2026)
    expected = vn_calendar_days([2025, 2026])
    assert CalendarDay.objects.current().filter(calendar=cal).count() == len(expected)
    assert seeded.created == len(expected)
    swap = CalendarDay.objects.current().get(calendar=cal, date=dt.date(2026, 1, 10))
    assert swap.kind == CalendarDay.Kind.WORKING_DAY_SWAP
    assert "12729/VPCP-KGVX" in swap.legal_basis
    entries = AuditEntry.objects.filter(object_type="workdays.holidaycalendar", action="import")
    assert entries.count() == 1
    assert entries.get().changes["created"] == len(expected)


def test_seed_is_idempotent(seeded):
    audit_count = AuditEntry.objects.count()
    rows = CalendarDay.objects.count()
    again = services.calendar_seed(actor=None, years=[2025, 2026])
    assert not again.changed
    assert CalendarDay.objects.count() == rows
    assert AuditEntry.objects.count() == audit_count


def test_seed_keeps_admin_corrections_and_extends_years(seeded):
    cal = seeded.calendar
    services.calendar_day_set(
        actor=None,
        calendar=cal,
        date=dt.date(2026, 9, 1),
        kind="holiday",
        name="Quốc khánh (sửa tay)",
        legal_basis="test",
    )
    result = services.calendar_seed(actor=None, years=[2026, 2027])
    assert result.kept_admin == 1
    assert (
        CalendarDay.objects.current().get(calendar=cal, date=dt.date(2026, 9, 1)).source == "admin"
    )
    cal.refresh_from_db()
    assert (cal.first_year, cal.last_year) == (2025, 2027)
    assert CalendarDay.objects.current().filter(date__year=2027).exists()


def test_selector_matches_the_seed_calendar(seeded):
    db_cal = selectors.workcalendar_for_unit()
    pure = vn_calendar([2025, 2026])
    start = at(2026, 2, 13, 16, 45)
    assert (
        db_cal.add_working_days(start, 5)
        == pure.add_working_days(start, 5)
        == at(2026, 2, 27, 16, 30)
    )
    assert db_cal.is_working_day(dt.date(2026, 1, 10))
    assert db_cal.valid_range == (dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    text = db_cal.explain(start, "5wd").steps[0].text
    assert "nghỉ Tết Nguyên đán 14\u201322/02" in text


def test_selector_without_seeded_calendar_falls_back_to_seed_data():
    assert HolidayCalendar.objects.count() == 0
    cal = selectors.workcalendar_for_unit(fallback_years=[2026])
    assert "seed" in cal.name
    assert not cal.is_working_day(dt.date(2026, 2, 16))
    assert cal.is_working_day(dt.date(2026, 1, 10))


def test_admin_correction_is_versioned_and_known_at_reproduces_old_dates(seeded):
    cal = seeded.calendar
    before = timezone.now()
    start = at(2026, 11, 23, 9)
    assert selectors.workcalendar_for_unit().add_working_days(start, 1) == at(2026, 11, 25, 9)
    day = CalendarDay.objects.current().get(calendar=cal, date=dt.date(2026, 11, 24))
    services.calendar_day_withdraw(actor=None, day=day, reason="thử nghiệm")
    now_cal = selectors.workcalendar_for_unit()
    assert now_cal.add_working_days(start, 1) == at(2026, 11, 24, 9)
    old_cal = selectors.workcalendar_for_unit(known_at=before)
    assert old_cal.add_working_days(start, 1) == at(2026, 11, 25, 9)
    assert AuditEntry.objects.filter(action="delete", object_type="workdays.calendarday").exists()
    with pytest.raises(ValidationError):
        services.calendar_day_withdraw(actor=None, day=day)


def test_calendar_day_set_replaces_previous_version(seeded):
    cal = seeded.calendar
    first = services.calendar_day_set(
        actor=None, calendar=cal, date=dt.date(2026, 12, 31), kind="day_off_swap", name="Nghỉ thử"
    )
    again = services.calendar_day_set(
        actor=None, calendar=cal, date=dt.date(2026, 12, 31), kind="day_off_swap", name="Nghỉ thử"
    )
    assert again.pk == first.pk  # no change, no new version
    second = services.calendar_day_set(
        actor=None, calendar=cal, date=dt.date(2026, 12, 31), kind="holiday", name="Nghỉ lễ thử"
    )
    first.refresh_from_db()
    assert first.retired_at is not None and second.retired_at is None
    assert CalendarDay.objects.filter(date=dt.date(2026, 12, 31)).count() == 2
    with pytest.raises(ValidationError):
        services.calendar_day_set(
            actor=None, calendar=cal, date=dt.date(2026, 12, 30), kind="working_day_swap", name="x"
        )


def test_permissions(seeded, users, tree):
    cal = seeded.calendar
    with pytest.raises(PermissionDenied):
        services.calendar_seed(actor=users["desk_a"], years=[2026])
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(
            actor=users["admin"], calendar=cal, date=dt.date(2026, 12, 31), kind="holiday", name="x"
        )
    with pytest.raises(PermissionDenied):
        services.office_hours_set(
            actor=users["leader_a"],
            unit=tree["ward_a"],
            weekday=0,
            morning=(dt.time(7), dt.time(11)),
        )
    root = make_user("root", is_superuser=True)
    day = services.calendar_day_set(
        actor=root, calendar=cal, date=dt.date(2026, 12, 31), kind="holiday", name="Nghỉ"
    )
    assert AuditEntry.objects.filter(object_id=str(day.pk), actor=root).exists()


def test_office_hours_fall_back_from_unit_to_province_to_default(tree):
    services.calendar_seed(actor=None, years=[2026])
    summer = {"valid_from": dt.date(2026, 4, 15), "valid_to": dt.date(2026, 10, 15)}
    for wd in range(5):
        services.office_hours_set(
            actor=None,
            unit=None,
            weekday=wd,
            morning=(dt.time(8), dt.time(12)),
            afternoon=(dt.time(13), dt.time(17)),
        )
        services.office_hours_set(
            actor=None,
            unit=tree["hanoi"],
            weekday=wd,
            morning=(dt.time(7), dt.time(11, 30)),
            afternoon=(dt.time(13, 30), dt.time(17)),
            **summer,
        )
        services.office_hours_set(
            actor=None,
            unit=tree["ward_a"],
            weekday=wd,
            morning=(dt.time(7, 30), dt.time(11, 30)),
            valid_from=dt.date(2026, 6, 1),
            valid_to=dt.date(2026, 7, 1),
        )
    ward_a = selectors.workcalendar_for_unit(unit=tree["ward_a"])
    ward_b = selectors.workcalendar_for_unit(unit=tree["ward_b"])
    # March: no province/ward rows in force -> the default 08:00-12:00, 13:00-17:00.
    assert ward_b.counting_start(at(2026, 3, 2, 7, 45)) == at(2026, 3, 2, 8)
    # May: Hanoi's summer hours for every ward.
    assert ward_b.counting_start(at(2026, 5, 4, 11, 45)) == at(2026, 5, 4, 13, 30)
    assert ward_a.counting_start(at(2026, 5, 4, 11, 45)) == at(2026, 5, 4, 13, 30)
    # June: ward A's own mornings-only hours.
    assert ward_a.counting_start(at(2026, 6, 1, 11, 45)) == at(2026, 6, 2, 7, 30)
    assert ward_b.counting_start(at(2026, 6, 1, 11, 45)) == at(2026, 6, 1, 13, 30)
    # A unit below ward A (a division) inherits ward A's hours.
    div = selectors.workcalendar_for_unit(unit=tree["div_a"])
    assert div.counting_start(at(2026, 6, 1, 11, 45)) == at(2026, 6, 2, 7, 30)


def test_office_hours_validation_and_versions(tree):
    row = services.office_hours_set(
        actor=None, unit=tree["ward_a"], weekday=0, morning=(dt.time(7, 30), dt.time(12))
    )
    with pytest.raises(ValidationError):
        services.office_hours_set(
            actor=None, unit=tree["ward_a"], weekday=1, morning=(dt.time(12), dt.time(7))
        )
    with pytest.raises(ValidationError, match="Trùng"):
        services.office_hours_set(
            actor=None,
            unit=tree["ward_a"],
            weekday=0,
            morning=(dt.time(8), dt.time(12)),
            valid_from=dt.date(2026, 1, 1),
        )
    replaced = services.office_hours_set(
        actor=None, unit=tree["ward_a"], weekday=0, morning=(dt.time(8), dt.time(12))
    )
    row.refresh_from_db()
    assert row.retired_at is not None and replaced.retired_at is None
    services.office_hours_withdraw(actor=None, hours=replaced)
    assert not OfficeHours.objects.current().filter(unit=tree["ward_a"]).exists()
    assert AuditEntry.objects.filter(object_type="workdays.officehours").count() == 3


def test_calendar_update_changes_the_deadline_mode(seeded):
    services.calendar_update(actor=None, calendar=seeded.calendar, deadline_mode="end_of_day")
    cal = selectors.workcalendar_for_unit()
    assert cal.add_working_days(at(2026, 3, 3, 9, 15), 1) == at(2026, 3, 4, 16, 30)
    with pytest.raises(ValidationError):
        services.calendar_update(actor=None, calendar=seeded.calendar, code="XX")
    with pytest.raises(ValidationError):
        services.calendar_update(actor=None, calendar=seeded.calendar, weekend=[7])
