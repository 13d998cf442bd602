"""Calendar data for Vietnam (and any country the `holidays` package knows). Pure: no Django.

Vietnam = public holidays from the `holidays` package (it computes Tết and Hùng Kings' day from
the lunar calendar, and the Labour Code's substitute days) overlaid with the government's
day-swap documents for civil servants, transcribed below with their numbers. For the years the
transcription covers (`OFFICIAL_YEARS`) the documents are authoritative for weekdays: a weekday
the package marks as a holiday but no document names is left out (and reported by
`vn_discrepancies`). For other years the package's data is used as is, including the swaps it
knows (`weekend_workdays`), and the year is listed in `WorkCalendar.name` as "unverified".

The day swaps bind state agencies (cán bộ, công chức, viên chức); businesses choose their own.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import holidays

from .calendar import VN_DEFAULT_HOURS, VN_TIMEZONE, DayHours, WorkCalendar

HOLIDAY = "holiday"
DAY_OFF_SWAP = "day_off_swap"
WORKING_DAY_SWAP = "working_day_swap"
KINDS = (HOLIDAY, DAY_OFF_SWAP, WORKING_DAY_SWAP)

SOURCE_OFFICIAL = "official"
SOURCE_PACKAGE = f"holidays {holidays.__version__}"

# Legal texts, cited once.
BLLD_112 = "Bộ luật Lao động số 45/2019/QH14, Điều 112"
BLLD_111_3 = "Bộ luật Lao động số 45/2019/QH14, khoản 3 Điều 111 (nghỉ bù)"
TB_5015_2023 = "Thông báo 5015/TB-LĐTBXH (Tết Âm lịch và Quốc khánh 2024)"
CV_2450_2024 = "Công văn 2450/VPCP-KGVX ngày 12/4/2024; Thông báo 1570/TB-LĐTBXH"
TB_6150_2024 = (
    "Thông báo 6150/TB-BLĐTBXH ngày 03/12/2024 (theo Công văn 8726/VPCP-KGVX ngày 26/11/2024)"
)
CV_12729_2025 = "Công văn 12729/VPCP-KGVX ngày 25/12/2025"
TB_9441_2025 = "Thông báo 9441/TB-BNV ngày 16/10/2025 (Tết Âm lịch và Quốc khánh 2026)"
CV_3383_2026 = "Công văn 3383/BNV-CVL ngày 10/4/2026 (không hoán đổi dịp 30/4-1/5/2026)"
NQ_28_2026 = "Nghị quyết 28/2026/QH16, Điều 2 (Ngày Văn hóa Việt Nam, hiệu lực 01/7/2026)"

TET = "Tết Nguyên đán"
HUNG = "Giỗ Tổ Hùng Vương"
NATIONAL_DAY = "Quốc khánh"
SWAP_OFF = "Nghỉ hoán đổi"
SWAP_WORK = "Làm bù"

#: Official calendar of days off on weekdays and Saturdays worked, 2024-2026, for state agencies.
#: (date, kind, name, legal basis). Weekend holidays come from the `holidays` package.
OFFICIAL_VN: tuple[tuple[dt.date, str, str, str], ...] = (
    # 2024 -----------------------------------------------------------------------------------
    (dt.date(2024, 1, 1), HOLIDAY, "Tết Dương lịch", BLLD_112),
    (dt.date(2024, 2, 8), HOLIDAY, f"{TET} (29 tháng Chạp)", TB_5015_2023),
    (dt.date(2024, 2, 9), HOLIDAY, f"{TET} (30 tháng Chạp)", TB_5015_2023),
    (dt.date(2024, 2, 12), HOLIDAY, f"{TET} (mùng 3)", TB_5015_2023),
    (
        dt.date(2024, 2, 13),
        HOLIDAY,
        f"{TET} (nghỉ bù mùng 1 trùng thứ Bảy 10/02)",
        f"{TB_5015_2023}; {BLLD_111_3}",
    ),
    (
        dt.date(2024, 2, 14),
        HOLIDAY,
        f"{TET} (nghỉ bù mùng 2 trùng Chủ nhật 11/02)",
        f"{TB_5015_2023}; {BLLD_111_3}",
    ),
    (dt.date(2024, 4, 18), HOLIDAY, f"{HUNG} (10/3 âm lịch)", BLLD_112),
    (dt.date(2024, 4, 29), DAY_OFF_SWAP, f"{SWAP_OFF} (làm bù thứ Bảy 04/05/2024)", CV_2450_2024),
    (dt.date(2024, 4, 30), HOLIDAY, "Ngày Chiến thắng (30/4)", BLLD_112),
    (dt.date(2024, 5, 1), HOLIDAY, "Ngày Quốc tế Lao động (1/5)", BLLD_112),
    (dt.date(2024, 5, 4), WORKING_DAY_SWAP, f"{SWAP_WORK} cho thứ Hai 29/04/2024", CV_2450_2024),
    (dt.date(2024, 9, 2), HOLIDAY, f"{NATIONAL_DAY} (2/9)", BLLD_112),
    (dt.date(2024, 9, 3), HOLIDAY, f"{NATIONAL_DAY} (ngày liền kề)", TB_5015_2023),
    # 2025 -----------------------------------------------------------------------------------
    (dt.date(2025, 1, 1), HOLIDAY, "Tết Dương lịch", BLLD_112),
    (dt.date(2025, 1, 27), HOLIDAY, TET, TB_6150_2024),
    (dt.date(2025, 1, 28), HOLIDAY, TET, TB_6150_2024),
    (dt.date(2025, 1, 29), HOLIDAY, f"{TET} (mùng 1)", TB_6150_2024),
    (dt.date(2025, 1, 30), HOLIDAY, TET, TB_6150_2024),
    (dt.date(2025, 1, 31), HOLIDAY, TET, TB_6150_2024),
    (dt.date(2025, 4, 7), HOLIDAY, f"{HUNG} (10/3 Ất Tỵ)", BLLD_112),
    (dt.date(2025, 4, 26), WORKING_DAY_SWAP, f"{SWAP_WORK} cho thứ Sáu 02/05/2025", TB_6150_2024),
    (dt.date(2025, 4, 30), HOLIDAY, "Ngày Chiến thắng (30/4)", BLLD_112),
    (dt.date(2025, 5, 1), HOLIDAY, "Ngày Quốc tế Lao động (1/5)", BLLD_112),
    (dt.date(2025, 5, 2), DAY_OFF_SWAP, f"{SWAP_OFF} (làm bù thứ Bảy 26/04/2025)", TB_6150_2024),
    (dt.date(2025, 9, 1), HOLIDAY, f"{NATIONAL_DAY} (ngày liền kề)", TB_6150_2024),
    (dt.date(2025, 9, 2), HOLIDAY, f"{NATIONAL_DAY} (2/9)", BLLD_112),
    # 2026 -----------------------------------------------------------------------------------
    (dt.date(2026, 1, 1), HOLIDAY, "Tết Dương lịch", BLLD_112),
    (dt.date(2026, 1, 2), DAY_OFF_SWAP, f"{SWAP_OFF} (làm bù thứ Bảy 10/01/2026)", CV_12729_2025),
    (dt.date(2026, 1, 10), WORKING_DAY_SWAP, f"{SWAP_WORK} cho thứ Sáu 02/01/2026", CV_12729_2025),
    (dt.date(2026, 2, 16), HOLIDAY, f"{TET} (29 tháng Chạp)", TB_9441_2025),
    (dt.date(2026, 2, 17), HOLIDAY, f"{TET} (mùng 1)", TB_9441_2025),
    (dt.date(2026, 2, 18), HOLIDAY, f"{TET} (mùng 2)", TB_9441_2025),
    (dt.date(2026, 2, 19), HOLIDAY, f"{TET} (mùng 3)", TB_9441_2025),
    (dt.date(2026, 2, 20), HOLIDAY, f"{TET} (mùng 4)", TB_9441_2025),
    (
        dt.date(2026, 4, 27),
        HOLIDAY,
        f"{HUNG} (nghỉ bù; 10/3 âm lịch trùng Chủ nhật 26/04)",
        BLLD_111_3,
    ),
    (dt.date(2026, 4, 30), HOLIDAY, "Ngày Chiến thắng (30/4)", f"{BLLD_112}; {CV_3383_2026}"),
    (dt.date(2026, 5, 1), HOLIDAY, "Ngày Quốc tế Lao động (1/5)", BLLD_112),
    (dt.date(2026, 8, 22), WORKING_DAY_SWAP, f"{SWAP_WORK} cho thứ Hai 31/08/2026", TB_9441_2025),
    (dt.date(2026, 8, 31), DAY_OFF_SWAP, f"{SWAP_OFF} (làm bù thứ Bảy 22/08/2026)", TB_9441_2025),
    (dt.date(2026, 9, 1), HOLIDAY, f"{NATIONAL_DAY} (ngày liền kề)", TB_9441_2025),
    (dt.date(2026, 9, 2), HOLIDAY, f"{NATIONAL_DAY} (2/9)", BLLD_112),
    (dt.date(2026, 11, 24), HOLIDAY, "Ngày Văn hóa Việt Nam (24/11)", NQ_28_2026),
)
OFFICIAL_YEARS = frozenset(day.year for day, *_ in OFFICIAL_VN)


@dataclass(frozen=True)
class SeedDay:
    date: dt.date
    kind: str
    name: str
    legal_basis: str = ""
    source: str = ""


def _normalize_vn_name(name: str) -> str:
    """The package's Vietnamese names, reshaped to 'Occasion (detail)' so that the explanation
    can group a stretch of days off under one occasion ("nghỉ Tết Nguyên đán 14-22/02")."""
    observed = name.endswith(" (nghỉ bù)")
    base = name.removesuffix(" (nghỉ bù)")
    if base == "Giao thừa Tết Nguyên Đán":
        base = f"{TET} (giao thừa)"
    elif base == "Tết Nguyên Đán":
        base = f"{TET} (mùng 1)"
    elif match := re.fullmatch(r"Mùng (\w+) Tết Nguyên Đán", base):
        base = f"{TET} (mùng {match.group(1)})"
    elif base == "29 Tết":
        base = f"{TET} (29 tháng Chạp)"
    elif base == "Ngày Giỗ Tổ Hùng Vương":
        base = HUNG
    elif match := re.fullmatch(r"Ngày nghỉ \(thay cho ngày (.+)\)", base):
        base = f"{SWAP_OFF} (làm bù ngày {match.group(1)})"
    if observed:
        return f"{base} (nghỉ bù)" if "(" not in base else base.replace(")", "; nghỉ bù)", 1)
    return base


def _vn_package(years: Iterable[int]):
    return holidays.country_holidays("VN", years=sorted(set(years)), language="vi")


def vn_calendar_days(years: Iterable[int]) -> list[SeedDay]:
    """Every non-standard day of the Vietnam state-agency calendar in `years`, sorted."""
    years = sorted(set(years))
    package = _vn_package(years)
    official = {day: (kind, name, basis) for day, kind, name, basis in OFFICIAL_VN}
    result: dict[dt.date, SeedDay] = {}
    for day, pkg_name in sorted(package.items()):
        if day.year not in years:
            continue
        if day.year in OFFICIAL_YEARS and day.weekday() < 5 and day not in official:
            continue  # the documents decide weekdays in the years they cover
        kind = DAY_OFF_SWAP if pkg_name.startswith("Ngày nghỉ (thay cho") else HOLIDAY
        result[day] = SeedDay(day, kind, _normalize_vn_name(pkg_name), BLLD_112, SOURCE_PACKAGE)
    for day in sorted(package.weekend_workdays):
        if day.year in years and day.year not in OFFICIAL_YEARS:
            name = f"{SWAP_WORK} (hoán đổi theo thư viện holidays)"
            result[day] = SeedDay(day, WORKING_DAY_SWAP, name, "", SOURCE_PACKAGE)
    for day, (kind, name, basis) in official.items():
        if day.year in years:
            result[day] = SeedDay(day, kind, name, basis, SOURCE_OFFICIAL)
    return [result[day] for day in sorted(result)]


def vn_discrepancies(years: Iterable[int]) -> list[tuple[dt.date, str]]:
    """Weekdays where the `holidays` package and the transcribed documents disagree, for the
    years the documents cover: (date, what). Empty means the two sources agree."""
    years = sorted(set(years) & OFFICIAL_YEARS)
    package = _vn_package(years)
    official_off = {d for d, kind, *_ in OFFICIAL_VN if kind != WORKING_DAY_SWAP}
    official_worked = {d for d, kind, *_ in OFFICIAL_VN if kind == WORKING_DAY_SWAP}
    result = []
    for day in sorted(set(package) | official_off):
        if day.year not in years or day.weekday() >= 5:
            continue
        if day in package and day not in official_off:
            result.append((day, f"only in the holidays package: {package[day]}"))
        elif day not in package and day in official_off:
            result.append((day, "only in the official documents"))
    package_worked = {d for d in package.weekend_workdays if d.year in years}
    official_worked = {d for d in official_worked if d.year in years}
    for day in sorted(package_worked ^ official_worked):
        side = "holidays package" if day in package_worked else "official documents"
        result.append((day, f"working Saturday only in the {side}"))
    return result


def calendar_from_days(
    days: Iterable[SeedDay],
    *,
    years: Iterable[int] | None = None,
    name: str = "",
    tz: str = VN_TIMEZONE,
    hours: Mapping[int, DayHours] | None = None,
    weekend: Iterable[int] = (5, 6),
    **options,
) -> WorkCalendar:
    days = list(days)
    days_off = {d.date: d.name for d in days if d.kind != WORKING_DAY_SWAP}
    worked = {d.date: d.name for d in days if d.kind == WORKING_DAY_SWAP}
    valid_range = None
    if years:
        years = sorted(set(years))
        valid_range = (dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31))
    return WorkCalendar(
        days_off=days_off,
        working_days=worked,
        weekend=frozenset(weekend),
        hours=dict(VN_DEFAULT_HOURS if hours is None else hours),
        tz=zoneinfo.ZoneInfo(tz),
        valid_range=valid_range,
        name=name,
        **options,
    )


def vn_calendar(years: Iterable[int] = range(2024, 2028), **options) -> WorkCalendar:
    """The Vietnam state-agency calendar for `years`, default office hours (07:30-12:00,
    13:00-16:30). `options` go to `WorkCalendar` (deadline_mode, hours, hours_periods...)."""
    years = sorted(set(years))
    unverified = [y for y in years if y not in OFFICIAL_YEARS]
    name = "Việt Nam (cơ quan nhà nước)"
    if unverified:
        name += " — chưa đối chiếu văn bản hoán đổi năm " + ", ".join(map(str, unverified))
    options.setdefault("name", name)
    return calendar_from_days(vn_calendar_days(years), years=years, **options)


# --- any country ------------------------------------------------------------------------------
GENERIC_SESSIONS: DayHours = ((dt.time(9, 0), dt.time(17, 0)),)


def country_timezone(code: str) -> str:
    """The main IANA zone of a country (first zone listed for it in the system's zone.tab).

    Raises ValueError for a country with several zones: pass `tz=` explicitly then.
    """
    code = code.upper()
    zones: list[str] = []
    for base in zoneinfo.TZPATH:
        path = Path(base) / "zone.tab"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and parts[0] == code:
                    zones.append(parts[2])
            break
    if len(zones) == 1:
        return zones[0]
    if not zones:
        raise ValueError(f"no time zone known for country {code!r}: pass tz=")
    raise ValueError(
        f"country {code!r} has several time zones ({', '.join(zones[:4])}...): pass tz="
    )


def _country_package(code: str, years: list[int]):
    try:
        return holidays.country_holidays(code.upper(), years=years)
    except NotImplementedError as exc:
        raise ValueError(f"the holidays package does not know country {code!r}") from exc


def _package_days(package, years: Iterable[int]) -> list[SeedDay]:
    years = set(years)
    days = [
        SeedDay(d, HOLIDAY, n, "", SOURCE_PACKAGE) for d, n in package.items() if d.year in years
    ]
    days += [
        SeedDay(d, WORKING_DAY_SWAP, "working day (swap)", "", SOURCE_PACKAGE)
        for d in getattr(package, "weekend_workdays", ())
        if d.year in years and d not in package
    ]
    return sorted(days, key=lambda d: d.date)


def country_calendar_days(code: str, years: Iterable[int]) -> list[SeedDay]:
    """The non-standard days of any country: Vietnam from `vn_calendar_days` (documents +
    package), other countries straight from the `holidays` package."""
    years = sorted(set(years))
    if code.upper() == "VN":
        return vn_calendar_days(years)
    return _package_days(_country_package(code, years), years)


def country_weekend(code: str) -> frozenset[int]:
    package = _country_package(code, [2026])
    return frozenset(getattr(package, "weekend", {5, 6}))


def calendar_for_country(
    code: str,
    years: Iterable[int],
    *,
    tz: str | None = None,
    hours: Mapping[int, DayHours] | None = None,
    **options,
) -> WorkCalendar:
    """A calendar for any country the `holidays` package knows: its public holidays and
    weekend, office hours Mon-Fri (or the country's working week) 09:00-17:00 by default."""
    years = sorted(set(years))
    package = _country_package(code, years)
    weekend = frozenset(getattr(package, "weekend", {5, 6}))
    if hours is None:
        hours = {wd: GENERIC_SESSIONS for wd in range(7) if wd not in weekend}
    days = _package_days(package, years)
    options.setdefault("name", f"{code.upper()} ({SOURCE_PACKAGE})")
    return calendar_from_days(
        days,
        years=years,
        tz=tz or country_timezone(code),
        hours=hours,
        weekend=weekend,
        **options,
    )
