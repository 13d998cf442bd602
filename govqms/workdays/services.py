"""Every write to the calendar data: one transaction, an explicit actor, an audit entry.

Rows are versioned: a change retires the current row (`retired_at`) and records a new one; a
withdrawal only retires. `actor=None` is the system (CLI, migrations); a person needs the
`workdays.manage` permission over the unit (national calendars: over the whole tree, i.e. a
province-wide administrator or superuser).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.core.audit import audit_append, diff_fields, snapshot
from govqms.core.scoping import require

from . import seed
from .models import CalendarDay, HolidayCalendar, OfficeHours

PERM_MANAGE = "workdays.manage"
ROOT_PATH = "/"
SOURCE_ADMIN = "admin"
DAY_FIELDS = ("calendar_id", "date", "kind", "name", "legal_basis", "source")
HOURS_FIELDS = (
    "unit_id",
    "weekday",
    "morning_start",
    "morning_end",
    "afternoon_start",
    "afternoon_end",
    "valid_from",
    "valid_to",
    "note",
)
CALENDAR_FIELDS = (
    "name",
    "timezone",
    "weekend",
    "hours_per_day",
    "deadline_mode",
    "calendar_day_rollover",
    "source",
)


def _check(actor, path: str = ROOT_PATH) -> None:
    if actor is not None:
        require(actor, PERM_MANAGE, path)


@dataclass(frozen=True)
class SeedResult:
    calendar: HolidayCalendar
    created: int
    updated: int
    retired: int
    kept_admin: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


@transaction.atomic
def calendar_seed(*, actor, years: Iterable[int], code: str = "VN") -> SeedResult:
    """Load the calendar of `code` for `years` from `seed.py` (idempotent).

    Rows an admin entered or corrected (`source="admin"`) are kept as they are. Seeded rows that
    the seed data no longer lists are retired. A run that changes nothing writes nothing.
    """
    _check(actor)
    years = sorted({int(y) for y in years})
    if not years:
        raise ValidationError(_("Cần ít nhất một năm để nạp lịch."))
    code = code.upper()
    seed_days = {d.date: d for d in seed.country_calendar_days(code, years)}
    calendar, created_calendar = HolidayCalendar.objects.select_for_update().get_or_create(
        code=code,
        defaults={
            "name": "Việt Nam — cơ quan nhà nước" if code == "VN" else code,
            "country": code[:2],
            "timezone": seed.VN_TIMEZONE if code == "VN" else seed.country_timezone(code),
            "weekend": sorted(seed.country_weekend(code)),
            "first_year": years[0],
            "last_year": years[-1],
            "source": f"govqms.workdays.seed ({seed.SOURCE_PACKAGE})",
        },
    )
    now = timezone.now()
    current = {
        row.date: row
        for row in CalendarDay.objects.select_for_update()
        .current()
        .filter(calendar=calendar, date__gte=dt.date(years[0], 1, 1))
        .filter(date__lte=dt.date(years[-1], 12, 31))
        if row.date.year in years
    }
    created = updated = retired = kept = 0
    for day, data in sorted(seed_days.items()):
        row = current.get(day)
        values = {
            "kind": data.kind,
            "name": data.name[:255],
            "legal_basis": data.legal_basis[:500],
            "source": data.source[:120],
        }
        if row is not None and row.source == SOURCE_ADMIN:
            kept += 1
            continue
        if row is not None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        if row is not None:
            _retire(row, now)
            updated += 1
        else:
            created += 1
        CalendarDay.objects.create(calendar=calendar, date=day, recorded_at=now, **values)
    for day, row in current.items():
        if day not in seed_days and row.source != SOURCE_ADMIN:
            _retire(row, now)
            retired += 1
    first = min(calendar.first_year or years[0], years[0])
    last = max(calendar.last_year or years[-1], years[-1])
    if (first, last) != (calendar.first_year, calendar.last_year):
        calendar.first_year, calendar.last_year = first, last
        calendar.save(update_fields=["first_year", "last_year"])
    result = SeedResult(calendar, created, updated, retired, kept)
    if result.changed or created_calendar:
        audit_append(
            actor=actor,
            action="import",
            obj=calendar,
            changes={
                "years": years,
                "created": created,
                "updated": updated,
                "retired": retired,
                "kept_admin": kept,
                "source": seed.SOURCE_PACKAGE,
            },
            reason="calendar_seed",
        )
    return result


def _retire(row, now) -> None:
    row.retired_at = now
    row.save(update_fields=["retired_at"])


@transaction.atomic
def calendar_update(*, actor, calendar: HolidayCalendar, reason: str = "", **fields):
    """Change a calendar's settings (name, weekend, hours_per_day, deadline_mode...)."""
    unknown = set(fields) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationError(_("Không thể sửa các trường: %s") % ", ".join(sorted(unknown)))
    _check(actor)
    before = snapshot(calendar, CALENDAR_FIELDS)
    for name, value in fields.items():
        setattr(calendar, name, value)
    _validate_weekend(calendar.weekend)
    calendar.full_clean()
    changes = diff_fields(before, snapshot(calendar, CALENDAR_FIELDS))
    if changes:
        calendar.save()
        audit_append(actor=actor, action="update", obj=calendar, changes=changes, reason=reason)
    return calendar


def _validate_weekend(weekend) -> None:
    if not isinstance(weekend, list) or not all(
        isinstance(d, int) and 0 <= d <= 6 for d in weekend
    ):
        raise ValidationError({"weekend": _("Ngày nghỉ hằng tuần là danh sách số 0 (thứ Hai)..6.")})


@transaction.atomic
def calendar_day_set(
    *,
    actor,
    calendar: HolidayCalendar,
    date: dt.date,
    kind: str,
    name: str,
    legal_basis: str = "",
    reason: str = "",
) -> CalendarDay:
    """Record (or correct) one day of a calendar; the previous version is retired."""
    _check(actor)
    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": _("Loại ngày không hợp lệ.")})
    if kind == CalendarDay.Kind.WORKING_DAY_SWAP and date.weekday() not in calendar.weekend:
        raise ValidationError({"kind": _("Ngày làm bù phải là ngày nghỉ hằng tuần (thứ Bảy...).")})
    if not name.strip():
        raise ValidationError({"name": _("Cần tên ngày.")})
    old = CalendarDay.objects.select_for_update().current().filter(calendar=calendar, date=date)
    old = old.first()
    new = CalendarDay(
        calendar=calendar,
        date=date,
        kind=kind,
        name=name.strip(),
        legal_basis=legal_basis.strip(),
        source=SOURCE_ADMIN,
        recorded_at=timezone.now(),
    )
    before = snapshot(old, DAY_FIELDS) if old else None
    after = snapshot(new, DAY_FIELDS)
    if before == after:
        return old
    if old is not None:
        _retire(old, new.recorded_at)
    new.full_clean()
    new.save()
    action = "update" if old else "create"
    changes = diff_fields(before, after)
    if old is not None:
        changes["replaces"] = [old.pk, None]
    audit_append(actor=actor, action=action, obj=new, changes=changes, reason=reason)
    return new


@transaction.atomic
def calendar_day_withdraw(*, actor, day: CalendarDay, reason: str = "") -> CalendarDay:
    """Withdraw a day (e.g. a holiday entered by mistake): it becomes an ordinary day again."""
    _check(actor)
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    if day.retired_at is not None:
        raise ValidationError(_("Ngày này đã được thay thế hoặc thu hồi."))
    _retire(day, timezone.now())
    audit_append(
        actor=actor,
        action="delete",
        obj=day,
        changes={"retired_at": [None, day.retired_at]},
        reason=reason,
    )
    return day


def _overlaps(a_from, a_to, b_from, b_to) -> bool:
    lo = max(a_from or dt.date.min, b_from or dt.date.min)
    hi = min(a_to or dt.date.max, b_to or dt.date.max)
    return lo < hi


@transaction.atomic
def office_hours_set(
    *,
    actor,
    unit,
    weekday: int,
    morning: tuple[dt.time, dt.time],
    afternoon: tuple[dt.time, dt.time] | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
    reason: str = "",
) -> OfficeHours:
    """Set a unit's hours for one weekday over a period (unit=None: the default hours).

    A row for the same unit, weekday and period is replaced; a partly overlapping one is an
    error (close it first with `office_hours_withdraw` or give it a `valid_to`).
    """
    _check(actor, unit.path if unit is not None else ROOT_PATH)
    new = OfficeHours(
        unit=unit,
        weekday=weekday,
        morning_start=morning[0],
        morning_end=morning[1],
        afternoon_start=afternoon[0] if afternoon else None,
        afternoon_end=afternoon[1] if afternoon else None,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
        recorded_at=timezone.now(),
    )
    new.full_clean()
    same_slot = (
        OfficeHours.objects.select_for_update(of=("self",))
        .current()
        .filter(unit=unit, weekday=weekday)
    )
    replaced = None
    for row in same_slot:
        if (row.valid_from, row.valid_to) == (valid_from, valid_to):
            replaced = row
        elif _overlaps(row.valid_from, row.valid_to, valid_from, valid_to):
            raise ValidationError(
                _(
                    "Trùng thời gian hiệu lực với giờ làm việc đã có: "
                    "%(row)s (%(start)s đến %(end)s)."
                )
                % {"row": row, "start": row.valid_from or "…", "end": row.valid_to or "…"}
            )
    before = snapshot(replaced, HOURS_FIELDS) if replaced else None
    after = snapshot(new, HOURS_FIELDS)
    if before == after:
        return replaced
    if replaced is not None:
        _retire(replaced, new.recorded_at)
    new.save()
    changes = diff_fields(before, after)
    audit_append(
        actor=actor,
        action="update" if replaced else "create",
        obj=new,
        changes=changes,
        reason=reason,
    )
    return new


@transaction.atomic
def office_hours_withdraw(*, actor, hours: OfficeHours, reason: str = "") -> OfficeHours:
    _check(actor, hours.unit.path if hours.unit_id else ROOT_PATH)
    hours = OfficeHours.objects.select_for_update(of=("self",)).get(pk=hours.pk)
    if hours.retired_at is not None:
        raise ValidationError(_("Giờ làm việc này đã được thay thế hoặc thu hồi."))
    _retire(hours, timezone.now())
    audit_append(
        actor=actor,
        action="delete",
        obj=hours,
        changes={"retired_at": [None, hours.retired_at]},
        reason=reason,
    )
    return hours
