"""Plain data for a procedure version and the rules it must satisfy. No ORM here.

A `VersionSpec` is what the YAML and BPMN files carry and what the services write: the limit,
the due-soon threshold and the ordered steps. Durations are written `4wh` (working hours),
`0.5wd` (working days, 8 h each) or `10d` (calendar days, limits only).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

HOURS_PER_DAY = Decimal(8)

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
WORKING_HOURS = "working_hours"
MONTHS = "months"

WHERE_VALUES = ("receiving", "competent", "returning", "other")

_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(wh|wd|d)\s*$", re.IGNORECASE)


class SpecError(ValueError):
    """A bad value in a version file or call; `path` names the field, e.g. `steps[2].budget`."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def plain(value: Decimal) -> str:
    """Decimal without exponent or trailing zeros: 8.00 → '8', 0.50 → '0.5'."""
    text = format(Decimal(value).normalize(), "f")
    return text


def parse_duration(text, *, path: str, units: Collection[str] = ("wh", "wd")) -> tuple:
    """'4wh' → (Decimal(4), 'wh'). Raises SpecError naming `path`."""
    if not isinstance(text, str):
        raise SpecError(path, f"not a duration: {text!r} (write e.g. 4wh or 0.5wd)")
    match = _DURATION.match(text)
    if not match:
        hint = " or ".join(f"1{u}" for u in units)
        raise SpecError(path, f"not a duration: {text!r} (write e.g. {hint})")
    unit = match.group(2).lower()
    if unit not in units:
        raise SpecError(path, f"unit {unit!r} is not allowed here (use {', '.join(units)})")
    try:
        amount = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise SpecError(path, f"not a duration: {text!r}") from exc
    return amount, unit


def parse_hours(text, *, path: str) -> Decimal:
    """A step budget or threshold in working hours: '4wh' → 4, '0.5wd' → 4."""
    amount, unit = parse_duration(text, path=path, units=("wh", "wd"))
    hours = amount * HOURS_PER_DAY if unit == "wd" else amount
    if hours != hours.quantize(Decimal("0.01")):
        raise SpecError(path, f"{text!r} is finer than 0.01 working hour")
    return hours


def format_hours(hours: Decimal) -> str:
    """Working hours as written in files: whole days as `Nwd`, anything else as `Nwh`."""
    hours = Decimal(hours)
    if hours >= HOURS_PER_DAY and hours % HOURS_PER_DAY == 0:
        return f"{plain(hours / HOURS_PER_DAY)}wd"
    return f"{plain(hours)}wh"


def min_working_days(calendar_days: int) -> int:
    """The fewest Monday–Friday days any run of `calendar_days` consecutive days contains.

    A calendar-day limit guarantees at least this much working time when only weekends are off
    (public holidays can take more; the calendar app knows those, this module does not).
    """
    weeks, rest = divmod(int(calendar_days), 7)
    return int(calendar_days) - 2 * weeks - min(rest, 2)


@dataclass(frozen=True)
class VersionLimit:
    """The legal limit a version runs on: `unit` + working hours (+ calendar days)."""

    unit: str
    hours: Decimal
    calendar_days: int | None = None

    @classmethod
    def parse(cls, text, *, path: str = "limit") -> VersionLimit:
        amount, unit = parse_duration(text, path=path, units=("wh", "wd", "d"))
        if unit == "d":
            if amount != amount.to_integral_value() or amount < 1:
                raise SpecError(path, "a limit in calendar days must be a whole number ≥ 1")
            return cls.calendar(int(amount))
        hours = amount * HOURS_PER_DAY if unit == "wd" else amount
        if hours <= 0:
            raise SpecError(path, "a limit must be greater than zero")
        return cls(WORKING_DAYS if unit == "wd" else WORKING_HOURS, hours)

    @classmethod
    def calendar(cls, days: int, hours: Decimal | None = None) -> VersionLimit:
        default = Decimal(min_working_days(days)) * HOURS_PER_DAY
        return cls(CALENDAR_DAYS, default if hours is None else Decimal(hours), days)

    @property
    def default_hours(self) -> bool:
        """For calendar limits: is `hours` the weekend-only guarantee (see min_working_days)?"""
        if self.unit != CALENDAR_DAYS:
            return True
        return self.hours == Decimal(min_working_days(self.calendar_days or 0)) * HOURS_PER_DAY

    def __str__(self) -> str:
        if self.unit == CALENDAR_DAYS:
            return f"{self.calendar_days}d"
        if self.unit == WORKING_HOURS:
            return f"{plain(self.hours)}wh"
        return f"{plain(self.hours / HOURS_PER_DAY)}wd"


@dataclass(frozen=True)
class StepSpec:
    """One step as declared: who, where, and the budget in working hours."""

    code: str
    name: str
    role: str
    budget_hours: Decimal
    where: str = "competent"
    optional: bool = False
    parallel_group: str = ""
    other_unit_code: str = ""
    description: str = ""
    output: str = ""


@dataclass
class VersionSpec:
    """A whole version as files carry it (procedure and unit by code)."""

    procedure_code: str
    unit_code: str
    limit: VersionLimit
    steps: list[StepSpec] = field(default_factory=list)
    procedure_name: str = ""
    due_soon_hours: Decimal = HOURS_PER_DAY
    document_code: str = ""
    notes: str = ""


# --- Rules -----------------------------------------------------------------------------------


def critical_path_hours(steps: Sequence[StepSpec]) -> Decimal:
    """Sum of budgets along the path; a parallel group counts once, by its longest member.

    Optional steps count (the worst case: when they happen, they take their time).
    """
    total = Decimal(0)
    groups: dict[str, Decimal] = {}
    for step in steps:
        budget = Decimal(step.budget_hours)
        if step.parallel_group:
            groups[step.parallel_group] = max(groups.get(step.parallel_group, Decimal(0)), budget)
        else:
            total += budget
    return total + sum(groups.values(), Decimal(0))


def step_errors(steps: Sequence[StepSpec], *, roles: Collection[str] | None = None) -> list:
    """Structural errors as SpecErrors with paths `steps[i].field` (i counts from 0)."""
    errors: list[SpecError] = []
    seen: dict[str, int] = {}
    group_end: dict[str, int] = {}
    for i, step in enumerate(steps):
        at = f"steps[{i}]"
        code = (step.code or "").strip()
        if not code:
            errors.append(SpecError(f"{at}.code", _("bắt buộc")))
        elif len(code) > 30:
            errors.append(SpecError(f"{at}.code", _("tối đa 30 ký tự")))
        elif code in seen:
            errors.append(
                SpecError(
                    f"{at}.code",
                    _("mã bước %(code)s bị trùng (steps[%(other)s])")
                    % {"code": code, "other": seen[code]},
                )
            )
        else:
            seen[code] = i
        if not (step.name or "").strip():
            errors.append(SpecError(f"{at}.name", _("bắt buộc")))
        if not step.role:
            errors.append(SpecError(f"{at}.role", _("bắt buộc")))
        elif roles is not None and step.role not in roles:
            errors.append(
                SpecError(
                    f"{at}.role",
                    _("vai trò %(role)s không tồn tại (chọn một trong: %(roles)s)")
                    % {"role": step.role, "roles": ", ".join(roles)},
                )
            )
        if step.where not in WHERE_VALUES:
            errors.append(
                SpecError(
                    f"{at}.where",
                    _("%(value)s không hợp lệ (chọn một trong: %(values)s)")
                    % {"value": step.where, "values": ", ".join(WHERE_VALUES)},
                )
            )
        if step.where == "other" and not step.other_unit_code:
            errors.append(SpecError(f"{at}.other_unit", _("bắt buộc khi nơi thực hiện là 'other'")))
        if Decimal(step.budget_hours) < 0:
            errors.append(SpecError(f"{at}.budget", _("không được âm")))
        group = step.parallel_group
        if group:
            if group in group_end and group_end[group] != i - 1:
                errors.append(
                    SpecError(
                        f"{at}.parallel_group",
                        _("các bước của nhóm song song %(group)s phải liền nhau")
                        % {"group": group},
                    )
                )
            group_end[group] = i
    return errors


@dataclass(frozen=True)
class LimitCheck:
    critical_path_hours: Decimal
    limit_hours: Decimal
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


def limit_check(steps: Sequence[StepSpec], limit_hours: Decimal) -> LimitCheck:
    """Budgets against the limit: over the limit is an error, slack is a warning."""
    path = critical_path_hours(steps)
    limit_hours = Decimal(limit_hours)
    errors, warnings = [], []
    if not steps:
        errors.append(_("Quy trình chưa có bước nào."))
    elif path > limit_hours:
        errors.append(
            _(
                "Tổng thời gian các bước trên đường găng (%(path)s) vượt thời hạn giải quyết "
                "(%(limit)s)."
            )
            % {"path": format_hours(path), "limit": format_hours(limit_hours)}
        )
    elif path < limit_hours:
        warnings.append(
            _("%(slack)s trong thời hạn (%(limit)s) chưa được phân bổ cho bước nào.")
            % {"slack": format_hours(limit_hours - path), "limit": format_hours(limit_hours)}
        )
    return LimitCheck(path, limit_hours, tuple(errors), tuple(warnings))
