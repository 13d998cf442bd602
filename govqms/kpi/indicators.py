"""Indicators as data: a registry of frozen dataclasses, each with a pure formula.

An indicator reads an *observation*: a mapping of named inputs, each either a count (a
non-negative whole number, e.g. ``finished_late``) or a sample (a list of numbers, e.g.
``processing_days``, the working days each finished dossier took). The input names are declared
once in `INPUTS`; an indicator lists the ones it reads, and `Indicator.compute` checks that they
are there and well-formed before the formula runs.

Every formula returns a `Result(numerator, denominator, value)`: for a share, value =
100·numerator/denominator and None when the denominator is 0; for a plain count, the
denominator is None and value = numerator; for a median, the numerator is None and the
denominator is the number of values. No ORM import: the selectors that count dossiers live in
the apps that own them (docs/kpi.md lists the inputs each one must provide).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Unit(StrEnum):
    PERCENT = "%"
    DAYS = "days"  # working days
    COUNT = "count"
    POINTS = "points"


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better
    NEUTRAL = "neutral"  # context, not a target


class InputKind(StrEnum):
    COUNT = "count"
    SAMPLE = "sample"


@dataclass(frozen=True)
class Input:
    name: str
    kind: InputKind
    description: str


_COUNTS = {
    "finished_early": "dossiers finished before their due date in the period",
    "finished_on_time": "dossiers finished on their due date (not before it) in the period",
    "finished_late": "dossiers finished after their due date in the period",
    "open_within_limit": "open dossiers not yet due soon (the due-soon margin not reached)",
    "open_due_soon": "open dossiers within the due-soon margin, not yet overdue",
    "open_overdue": "open dossiers past their due date",
    "received": "dossiers received in the period",
    "received_online": "dossiers received online (national portal or provincial system)",
    "dossiers_digitized": "received dossiers whose components were digitized",
    "results_required": "finished dossiers of procedures whose result is a paper document",
    "results_digitized": "of those, dossiers whose result was also issued electronically",
    "feedback_total": "feedback items (petitions, complaints) the unit must handle in the period",
    "feedback_on_time": "feedback handled by its deadline, or still open within it",
    "survey_responses": "satisfaction answers (surveys, per-dossier ratings) in the period",
    "survey_satisfied": "answers rating the service satisfied or very satisfied",
}
INPUTS: dict[str, Input] = {
    name: Input(name, InputKind.COUNT, text) for name, text in _COUNTS.items()
} | {
    "processing_days": Input(
        "processing_days",
        InputKind.SAMPLE,
        "working days from receipt to result of each dossier finished in the period "
        "(pauses excluded; computed by govqms.workdays)",
    ),
}


@dataclass(frozen=True)
class Result:
    numerator: float | None
    denominator: float | None
    value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass(frozen=True)
class Band:
    """A target band: `lower` ≤ value < `upper` (None = open), with where it comes from."""

    label_vi: str
    label_en: str
    lower: float | None = None
    upper: float | None = None
    source: str = ""

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value < self.upper
        )


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: Unit
    direction: Direction
    inputs: tuple[str, ...]
    formula: Callable[[Mapping[str, Any]], Result]
    formula_text: str
    source: str
    bands: tuple[Band, ...] = ()

    def compute(self, observation: Mapping[str, Any]) -> Result:
        """Check the inputs this indicator reads, then apply its formula."""
        checked = {name: _checked(name, observation) for name in self.inputs}
        return self.formula(checked)

    def band(self, value: float | None) -> Band | None:
        if value is None:
            return None
        return next((b for b in self.bands if b.contains(value)), None)


class ObservationError(ValueError):
    """An input is missing or malformed; `.name` says which one."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _checked(name: str, observation: Mapping[str, Any]):
    spec = INPUTS[name]
    if name not in observation:
        raise ObservationError(name, f"missing input {name!r} ({spec.description})")
    value = observation[name]
    if spec.kind is InputKind.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ObservationError(name, f"{name}: {value!r} is not a non-negative whole number")
        return value
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ObservationError(name, f"{name}: expected a list of numbers, got {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise ObservationError(name, f"{name}: {item!r} is not a finite number")
        if item < 0:
            raise ObservationError(name, f"{name}: {item!r} is negative")
    return [float(v) for v in value]


# --------------------------------------------------------------------------- formula builders


def share(numerator: Sequence[str], denominator: Sequence[str]):
    """100 · Σ numerator inputs / Σ denominator inputs (None when the denominator is 0)."""

    def formula(data: Mapping[str, Any]) -> Result:
        num = sum(data[k] for k in numerator)
        den = sum(data[k] for k in denominator)
        return Result(num, den, 100 * num / den if den else None)

    return formula


def total(parts: Sequence[str]):
    """A plain count: the sum of the inputs (no denominator)."""

    def formula(data: Mapping[str, Any]) -> Result:
        num = sum(data[k] for k in parts)
        return Result(num, None, num)

    return formula


def mean_of(sample: str):
    def formula(data: Mapping[str, Any]) -> Result:
        values = data[sample]
        num = math.fsum(values)
        return Result(num, len(values), num / len(values) if values else None)

    return formula


def median_of(sample: str):
    def formula(data: Mapping[str, Any]) -> Result:
        values = data[sample]
        return Result(None, len(values), statistics.median(values) if values else None)

    return formula


FINISHED = ("finished_early", "finished_on_time", "finished_late")
OPEN = ("open_within_limit", "open_due_soon", "open_overdue")

SRC_766 = "Quyết định 766/QĐ-TTg (23/6/2022), Phụ lục"
SRC_ISO_91 = "TCVN ISO 9001:2015, 9.1.1 (theo dõi, đo lường, phân tích và đánh giá)"
SRC_ISO_912 = "TCVN ISO 9001:2015, 9.1.2 (sự thỏa mãn của khách hàng)"
SRC_ONE_STOP = (
    "Nghị định 118/2025/NĐ-CP (cơ chế một cửa, một cửa liên thông; điều khoản cụ thể chưa đối "
    "chiếu, xem docs/kpi.md)"
)


def _ind(code, name_vi, name_en, unit, direction, inputs, formula, text, source, bands=()):
    return Indicator(
        code=code,
        name_vi=name_vi,
        name_en=name_en,
        unit=unit,
        direction=direction,
        inputs=tuple(inputs),
        formula=formula,
        formula_text=text,
        source=source,
        bands=tuple(bands),
    )


P, D, C = Unit.PERCENT, Unit.DAYS, Unit.COUNT
UPW, DOWNW, NEUTRAL = Direction.HIGHER, Direction.LOWER, Direction.NEUTRAL

_REGISTRY = (
    _ind(
        "SHARE_FINISHED_ON_TIME",
        "Tỷ lệ hồ sơ đã giải quyết trước hạn, đúng hạn",
        "Share of finished dossiers finished early or on time",
        P,
        UPW,
        FINISHED,
        share(("finished_early", "finished_on_time"), FINISHED),
        "(finished_early + finished_on_time) / (finished_early + finished_on_time + "
        "finished_late) × 100",
        f"{SRC_766}, chỉ số 2.1 (phần hồ sơ đã xử lý); {SRC_ONE_STOP}",
    ),
    _ind(
        "SHARE_FINISHED_LATE",
        "Tỷ lệ hồ sơ đã giải quyết quá hạn",
        "Share of finished dossiers finished late",
        P,
        DOWNW,
        FINISHED,
        share(("finished_late",), FINISHED),
        "finished_late / (finished_early + finished_on_time + finished_late) × 100",
        f"{SRC_ONE_STOP}; {SRC_ISO_91}",
    ),
    _ind(
        "SHARE_ON_TIME_766",
        "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn (gồm hồ sơ đang xử lý trong hạn)",
        "Share of dossiers early/on time, counting open dossiers still within their limit",
        P,
        UPW,
        FINISHED + OPEN,
        share(
            ("finished_early", "finished_on_time", "open_within_limit", "open_due_soon"),
            FINISHED + OPEN,
        ),
        "(finished_early + finished_on_time + open_within_limit + open_due_soon) / "
        "(all finished + all open) × 100",
        f"{SRC_766}, chỉ số 2.1 (ON_TIME, 20 điểm)",
    ),
    _ind(
        "AVG_PROCESSING_DAYS",
        "Thời gian giải quyết trung bình (ngày làm việc)",
        "Average processing time (working days)",
        D,
        DOWNW,
        ("processing_days",),
        mean_of("processing_days"),
        "Σ processing_days / number of finished dossiers",
        f"{SRC_766}, chỉ số 2.2 (AVG_DAYS, theo dõi, không tính điểm)",
    ),
    _ind(
        "MEDIAN_PROCESSING_DAYS",
        "Thời gian giải quyết trung vị (ngày làm việc)",
        "Median processing time (working days)",
        D,
        DOWNW,
        ("processing_days",),
        median_of("processing_days"),
        "median of processing_days (numerator: none; denominator: number of dossiers)",
        f"{SRC_ISO_91} (GovQMS: trung vị ít bị ảnh hưởng bởi vài hồ sơ kéo dài)",
    ),
    _ind(
        "OPEN_WITHIN_LIMIT",
        "Hồ sơ đang giải quyết trong hạn",
        "Open dossiers within their limit",
        C,
        NEUTRAL,
        ("open_within_limit",),
        total(("open_within_limit",)),
        "open_within_limit",
        SRC_ONE_STOP,
    ),
    _ind(
        "OPEN_DUE_SOON",
        "Hồ sơ đang giải quyết sắp đến hạn",
        "Open dossiers due soon",
        C,
        DOWNW,
        ("open_due_soon",),
        total(("open_due_soon",)),
        "open_due_soon",
        f"{SRC_ONE_STOP}; GovQMS (ngưỡng 'sắp đến hạn' do đơn vị cấu hình)",
    ),
    _ind(
        "OPEN_OVERDUE",
        "Hồ sơ đang giải quyết quá hạn",
        "Open dossiers overdue",
        C,
        DOWNW,
        ("open_overdue",),
        total(("open_overdue",)),
        "open_overdue",
        SRC_ONE_STOP,
    ),
    _ind(
        "BACKLOG",
        "Hồ sơ tồn (đang giải quyết)",
        "Backlog (open dossiers)",
        C,
        DOWNW,
        OPEN,
        total(OPEN),
        "open_within_limit + open_due_soon + open_overdue",
        SRC_ISO_91,
    ),
    _ind(
        "SHARE_ONLINE",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        "Share of dossiers filed online",
        P,
        UPW,
        ("received_online", "received"),
        share(("received_online",), ("received",)),
        "received_online / received × 100",
        f"{SRC_766}, chỉ số 3.3 (ngưỡng 50%)",
        (
            Band("Đạt ngưỡng 766", "Meets the 766 threshold", 50.0, None, f"{SRC_766}, 3.3"),
            Band("Dưới ngưỡng 766", "Below the 766 threshold", None, 50.0, f"{SRC_766}, 3.3"),
        ),
    ),
    _ind(
        "SHARE_DOSSIERS_DIGITIZED",
        "Tỷ lệ hồ sơ được số hoá thành phần hồ sơ",
        "Share of dossiers whose components were digitized",
        P,
        UPW,
        ("dossiers_digitized", "received"),
        share(("dossiers_digitized",), ("received",)),
        "dossiers_digitized / received × 100",
        f"{SRC_766}, chỉ số 4.2 (SO_HOA_GIAY_TO_GIAI_QUYET, ngưỡng 80%)",
        (
            Band("Đạt ngưỡng 766", "Meets the 766 threshold", 80.0, None, f"{SRC_766}, 4.2"),
            Band("Dưới ngưỡng 766", "Below the 766 threshold", None, 80.0, f"{SRC_766}, 4.2"),
        ),
    ),
    _ind(
        "SHARE_RESULTS_DIGITIZED",
        "Tỷ lệ hồ sơ có kết quả giải quyết điện tử",
        "Share of results issued electronically",
        P,
        UPW,
        ("results_digitized", "results_required"),
        share(("results_digitized",), ("results_required",)),
        "results_digitized / results_required × 100",
        f"{SRC_766}, chỉ số 4.1 (ORIGINAL_RESULT_AVAILABLE)",
    ),
    _ind(
        "SHARE_FEEDBACK_ON_TIME",
        "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
        "Share of feedback handled on time",
        P,
        UPW,
        ("feedback_on_time", "feedback_total"),
        share(("feedback_on_time",), ("feedback_total",)),
        "feedback_on_time / feedback_total × 100",
        f"{SRC_766}, chỉ số 5.2 (PETITION_PROCESSING_ON_TIME)",
    ),
    _ind(
        "SATISFACTION",
        "Tỷ lệ hài lòng",
        "Satisfaction (% satisfied)",
        P,
        UPW,
        ("survey_satisfied", "survey_responses"),
        share(("survey_satisfied",), ("survey_responses",)),
        "survey_satisfied / survey_responses × 100",
        f"{SRC_ISO_912}; chỉ số SIPAS (tỷ lệ hài lòng)",
    ),
)

REGISTRY: dict[str, Indicator] = {ind.code: ind for ind in _REGISTRY}


def compute(code: str, observation: Mapping[str, Any]) -> Result:
    """The result of one indicator; KeyError names an unknown code."""
    try:
        indicator = REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}") from None
    return indicator.compute(observation)


def compute_all(observation: Mapping[str, Any]) -> dict[str, Result]:
    """Every indicator whose inputs are all present in the observation."""
    return {
        code: ind.compute(observation)
        for code, ind in REGISTRY.items()
        if all(name in observation for name in ind.inputs)
    }


__all__ = [
    "INPUTS",
    "REGISTRY",
    "Band",
    "Direction",
    "Indicator",
    "Input",
    "InputKind",
    "ObservationError",
    "Result",
    "Unit",
    "compute",
    "compute_all",
]
