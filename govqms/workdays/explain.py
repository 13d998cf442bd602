"""A due date that explains itself: the steps of its derivation in Vietnamese, for the clerk's
printout, and as JSON for the API. Pure (no Django)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .calendar import MODE_END_OF_DAY, MODE_HOURS, UTC, Limit, Pause

if TYPE_CHECKING:  # pragma: no cover
    from .calendar import WorkCalendar

DASH = "\u2013"  # en dash, as in "14–22/02"
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class Step:
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, **self.data}


@dataclass(frozen=True)
class Derivation:
    received: dt.datetime
    limit: Limit
    mode: str
    counting_from: dt.datetime | dt.date
    due_before_pauses: dt.datetime
    paused: dt.timedelta
    due: dt.datetime
    steps: tuple[Step, ...]
    calendar: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "limit": str(self.limit),
            "mode": self.mode,
            "counting_from": self.counting_from.isoformat(),
            "due_before_pauses": self.due_before_pauses.isoformat(),
            "paused_working_seconds": int(self.paused.total_seconds()),
            "due": self.due.isoformat(),
            "calendar": self.calendar,
            "steps": [step.to_dict() for step in self.steps],
        }

    def to_text(self) -> str:
        return "\n".join(f"{i}. {step.text}" for i, step in enumerate(self.steps, 1))


# --- formatting -------------------------------------------------------------------------------
def fmt_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def fmt_instant(value: dt.datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M")


def fmt_range(first: dt.date, last: dt.date) -> str:
    """14-22/02, 28/02-01/03, 31/12/2025-01/01/2026 (with an en dash), or 02/01."""
    if first == last:
        return first.strftime("%d/%m")
    if first.year != last.year:
        return f"{fmt_date(first)}{DASH}{fmt_date(last)}"
    if first.month == last.month:
        return f"{first.day:02d}{DASH}{last.strftime('%d/%m')}"
    return f"{first.strftime('%d/%m')}{DASH}{last.strftime('%d/%m')}"


def fmt_duration(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} giờ")
    if minutes:
        parts.append(f"{minutes} phút")
    if secs or not parts:
        parts.append(f"{secs} giây")
    return " ".join(parts)


def fmt_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def occasion(name: str) -> str:
    """'Tết Nguyên đán (mùng 1)' -> 'nghỉ Tết Nguyên đán'; 'Nghỉ hoán đổi (...)' -> 'nghỉ hoán
    đổi'."""
    base = name.split(" (")[0].strip()
    if base.lower().startswith("nghỉ "):
        return "nghỉ " + base[5:]
    return f"nghỉ {base}"


def stretch_label(cal: WorkCalendar, first: dt.date, last: dt.date) -> str:
    occasions: list[str] = []
    day = first
    while day <= last:
        name = cal.days_off.get(day)
        if name and occasion(name) not in occasions:
            occasions.append(occasion(name))
        day += dt.timedelta(days=1)
    label = ", ".join(occasions) if occasions else "nghỉ cuối tuần"
    return f"{label} {fmt_range(first, last)}"


def non_working_stretches(cal: WorkCalendar, first: dt.date, last: dt.date):
    """Runs of consecutive non-working days within [first, last]: [(from, to), ...]."""
    runs = []
    start = None
    day = first
    while day <= last:
        if cal.is_working_day(day):
            if start is not None:
                runs.append((start, day - dt.timedelta(days=1)))
                start = None
        elif start is None:
            start = day
        day += dt.timedelta(days=1)
    if start is not None:
        runs.append((start, last))
    return runs


def _situation(cal: WorkCalendar, local: dt.datetime) -> str:
    sessions = cal.utc_sessions(local.date())
    t = local.astimezone(UTC)
    if not sessions:
        return "day_off"
    if t < sessions[0][0]:
        return "before_hours"
    for (_, end), (next_start, _) in pairwise(sessions):
        if end <= t < next_start:
            return "break"
    if t >= sessions[-1][1]:
        return "after_hours"
    return "in_hours"


SITUATION_TEXT = {
    "in_hours": "trong giờ làm việc",
    "before_hours": "trước giờ làm việc",
    "break": "trong giờ nghỉ trưa",
    "after_hours": "sau giờ làm việc",
}


def _receipt_step(cal: WorkCalendar, local: dt.datetime, mode: str, limit: Limit):
    situation = _situation(cal, local)
    day = local.date()
    where = SITUATION_TEXT.get(situation)
    if where is None:
        name = cal.days_off.get(day)
        where = f"ngày nghỉ ({name})" if name else f"ngày nghỉ ({WEEKDAYS_VI[day.weekday()]})"
    head = f"Tiếp nhận {fmt_instant(local)}, {where}"
    by_hours = limit.unit == "wh" or (limit.unit == "wd" and mode == MODE_HOURS)
    if by_hours:
        start = cal.counting_start(local)
        if start == local:
            text = f"{head} → bắt đầu tính ngay"
        else:
            text = (
                f"{head} → bắt đầu tính từ {start.strftime('%H:%M')} ngày {fmt_date(start.date())}"
            )
        first_counted = start.date()
        counting_from: dt.datetime | dt.date = start
    else:
        receipt_day = cal.receipt_day(local)
        counting_from = receipt_day
        if receipt_day == day:
            text = f"{head} → ngày tiếp nhận là {fmt_date(day)}"
        else:
            text = f"{head} → coi như tiếp nhận ngày {fmt_date(receipt_day)}"
        first_counted = receipt_day
    gaps = non_working_stretches(cal, day, first_counted - dt.timedelta(days=1))
    if gaps:
        text += " (" + "; ".join(stretch_label(cal, a, b) for a, b in gaps) + ")"
    if not by_hours:
        text += "; ngày tiếp nhận không tính vào thời hạn"
    data = {"situation": situation, "received": local.isoformat()}
    data["counting_from"] = counting_from.isoformat()
    return Step("receipt", text, data), counting_from, first_counted


def _limit_step(cal: WorkCalendar, limit: Limit, mode: str) -> Step:
    amount = fmt_number(limit.amount)
    if limit.unit == "wh":
        text = f"Thời hạn {amount} giờ làm việc"
    elif limit.unit == "wd" and mode == MODE_HOURS:
        hours = limit.amount * cal.hours_per_day
        text = (
            f"Thời hạn {amount} ngày làm việc = {fmt_number(hours)} giờ làm việc "
            f"(1 ngày làm việc = {fmt_number(cal.hours_per_day)} giờ), tính theo giờ làm việc"
        )
    elif limit.unit == "wd":
        text = (
            f"Thời hạn {amount} ngày làm việc, không tính ngày tiếp nhận; hạn là cuối giờ "
            f"làm việc của ngày làm việc thứ {amount}"
        )
    else:
        text = (
            f"Thời hạn {amount} ngày (ngày lịch), không tính ngày tiếp nhận; hạn là cuối giờ "
            "làm việc của ngày cuối cùng"
        )
    return Step("limit", text, {"limit": str(limit), "mode": mode})


def _calendar_steps(cal, first: dt.date, last: dt.date) -> list[Step]:
    """Days off skipped and Saturdays worked between the first counted day and the due day."""
    events: list[tuple[dt.date, Step]] = []
    for a, b in non_working_stretches(cal, first, last):
        text = f"Không tính {stretch_label(cal, a, b)}"
        events.append((a, Step("skip", text, {"from": a.isoformat(), "to": b.isoformat()})))
    for day, name in cal.working_days.items():
        if first <= day <= last and cal.is_working_day(day):
            text = f"Tính {WEEKDAYS_VI[day.weekday()]} {fmt_date(day)} là ngày làm việc ({name})"
            events.append((day, Step("working_day", text, {"date": day.isoformat()})))
    return [step for _, step in sorted(events, key=lambda e: e[0])]


def derive(
    cal: WorkCalendar,
    start: dt.datetime,
    limit: Limit,
    *,
    pauses: Iterable[Any] = (),
    mode: str | None = None,
) -> Derivation:
    mode = mode or cal.deadline_mode
    local = cal.local(start, "start")
    pause_list: list[Pause] = cal.normalize_pauses(pauses)
    steps: list[Step] = []
    receipt, counting_from, first_counted = _receipt_step(cal, local, mode, limit)
    steps.append(receipt)
    steps.append(_limit_step(cal, limit, mode))

    landing_note = None
    if limit.unit == "d":
        last, due0, landing = cal._calendar_days(local, int(limit.amount), None)
        if landing != last:
            landing_note = Step(
                "rollover",
                f"Ngày cuối thời hạn {fmt_date(last)} là ngày nghỉ "
                f"({stretch_label(cal, last, last)}) → chuyển sang ngày làm việc tiếp theo "
                f"{fmt_date(landing)}",
                {"last_day": last.isoformat(), "moved_to": landing.isoformat()},
            )
    else:
        due0 = cal.due(local, limit, mode=mode)
    paused = cal.paused_working_time(pause_list)
    due = cal.add_working_hours(due0, paused) if paused else due0

    if limit.unit != "d":
        steps += _calendar_steps(cal, first_counted, due.date())
    elif landing_note:
        steps.append(landing_note)

    if pause_list:
        steps.append(
            Step(
                "due_before_pauses",
                f"Hạn nếu không tạm dừng: {fmt_instant(due0)}",
                {"due": due0.isoformat()},
            )
        )
        for pause in pause_list:
            worked = cal.working_time_between(pause.start, pause.end)
            reason = f" ({pause.reason})" if pause.reason else ""
            text = (
                f"Tạm dừng{reason} từ {fmt_instant(cal.local(pause.start))} đến "
                f"{fmt_instant(cal.local(pause.end))}: {fmt_duration(worked)} làm việc"
            )
            data = {
                "from": pause.start.isoformat(),
                "to": pause.end.isoformat(),
                "reason": pause.reason,
                "working_seconds": int(worked.total_seconds()),
            }
            steps.append(Step("pause", text, data))
        steps.append(
            Step(
                "extend",
                f"Cộng thêm {fmt_duration(paused)} làm việc đã tạm dừng "
                "(các khoảng trùng nhau chỉ tính một lần)",
                {"working_seconds": int(paused.total_seconds())},
            )
        )
    steps.append(
        Step(
            "due",
            f"Hạn trả kết quả: {due.strftime('%H:%M')} {WEEKDAYS_VI[due.weekday()]}, "
            f"{fmt_date(due.date())}",
            {"due": due.isoformat()},
        )
    )
    if cal.valid_range and not (
        cal.valid_range[0] <= local.date() <= due.date() <= cal.valid_range[1]
    ):
        first, last = cal.valid_range
        steps.append(
            Step(
                "warning",
                f"Lưu ý: lịch ngày nghỉ chỉ có dữ liệu từ {fmt_date(first)} đến {fmt_date(last)}; "
                "ngoài khoảng này ngày lễ và ngày hoán đổi có thể chưa đầy đủ",
                {"valid_from": first.isoformat(), "valid_to": last.isoformat()},
            )
        )
    return Derivation(
        received=local,
        limit=limit,
        mode=mode if limit.unit == "wd" else ("calendar_days" if limit.unit == "d" else MODE_HOURS),
        counting_from=counting_from,
        due_before_pauses=due0,
        paused=paused,
        due=due,
        steps=tuple(steps),
        calendar=cal.name,
    )


__all__ = ["MODE_END_OF_DAY", "Derivation", "Step", "derive"]
