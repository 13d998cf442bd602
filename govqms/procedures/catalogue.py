"""Reading the national procedure catalogue (`tthc.csv`) into plain records. No ORM here.

Column meanings and caveats: `docs/procedures.md` and `../shared/data/vn/tthc_sources.md`.
Rules: a limit without a unit stays visibly unknown (`limit_unit` ""), an empty limit is None;
per-channel alternatives keep the counter (Trực tiếp) value and the full text in `limit_text`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

COLUMNS = (
    "code",
    "name",
    "sector",
    "level",
    "time_limit",
    "time_unit",
    "fee",
    "online_level",
    "documents",
    "legal_basis",
    "source",
)

UNITS = {
    "ngày làm việc": "working_days",
    "ngày": "calendar_days",
    "giờ": "working_hours",
    "tháng": "months",
}
CHANNELS = {
    "trực tuyến": "online",
    "trực tiếp": "counter",
    "dịch vụ bưu chính": "postal",
}
COUNTER = "trực tiếp"

_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_SIMPLE = re.compile(rf"^({_NUMBER})\s*({_UNIT})?$", re.IGNORECASE)
_SEGMENT = re.compile(rf"^({_NUMBER})\s*({_UNIT})?\s*\(([^)]*)\)$", re.IGNORECASE)
_COPIES = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]\s*$", re.DOTALL)
_MORE = re.compile(r"^…\s*\(\+(\d+) mục nữa")


class RowError(ValueError):
    """A bad cell: `line` (1 = the header line), `column` and what is wrong."""

    def __init__(self, line: int, column: str, message: str):
        self.line, self.column, self.message = line, column, message
        super().__init__(f"line {line}, field {column!r}: {message}")


@dataclass
class ProcedureRecord:
    code: str
    name: str
    sector: str = ""
    levels: list[str] = field(default_factory=list)
    limit_value: Decimal | None = None
    limit_unit: str = ""
    limit_text: str = ""
    fee_text: str = ""
    channels: list[str] = field(default_factory=list)
    online_level: str = ""
    documents: list[dict] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    source: str = ""

    def as_fields(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "code"}


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _unit(text: str | None) -> str:
    return UNITS[text.strip().lower()] if text else ""


def parse_limit(time_limit: str, time_unit: str) -> tuple[Decimal | None, str, str]:
    """(limit_value, limit_unit, limit_text) from the two CSV cells.

    "1" + "" → (1, "", "1"): a value whose unit the portal does not show stays unknown.
    "15 (Trực tiếp); 20 (Trực tuyến, Dịch vụ bưu chính)" + "Ngày" → (15, calendar_days, full
    text). Segments may carry their own unit ("6 Ngày làm việc (Trực tiếp); 40 Ngày (…)").
    The first segment that lists the counter channel wins; with none, the first segment.
    Raises ValueError on text it cannot read.
    """
    text = " ".join((time_limit or "").split())
    unit_text = (time_unit or "").strip()
    if unit_text and unit_text.lower() not in UNITS:
        raise ValueError(f"unknown time unit {unit_text!r}")
    if not text:
        if unit_text:
            raise ValueError(f"a unit ({unit_text!r}) without a time limit")
        return None, "", ""
    full = f"{text} {unit_text}".strip()
    simple = _SIMPLE.match(text)
    if simple:
        own = simple.group(2)
        if own and unit_text and _unit(own) != _unit(unit_text):
            raise ValueError(f"two units: {own!r} and {unit_text!r}")
        return _number(simple.group(1)), _unit(own) or _unit(unit_text), full
    segments = []
    for part in text.split(";"):
        match = _SEGMENT.match(part.strip())
        if not match:
            raise ValueError(f"cannot read the time limit {text!r} (at {part.strip()!r})")
        channels = [c.strip().lower() for c in match.group(3).split(",")]
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel {unknown[0]!r} in {text!r}")
        segments.append((match.group(1), match.group(2), channels))
    chosen = next((s for s in segments if COUNTER in s[2]), segments[0])
    return _number(chosen[0]), _unit(chosen[1]) or _unit(unit_text), full


def parse_channels(online_level: str) -> list[str]:
    """ "Kênh nộp: Trực tuyến; Trực tiếp; Dịch vụ bưu chính" → ["online", "counter", "postal"]."""
    text = (online_level or "").strip()
    if not text:
        return []
    prefix = "Kênh nộp:"
    if not text.startswith(prefix):
        raise ValueError(f"expected {prefix!r} …, got {text[:40]!r}")
    channels = []
    for part in text[len(prefix) :].split(";"):
        key = part.strip().lower()
        if not key:
            continue
        if key not in CHANNELS:
            raise ValueError(f"unknown channel {part.strip()!r}")
        if CHANNELS[key] not in channels:
            channels.append(CHANNELS[key])
    return channels


def parse_documents(cell: str) -> list[dict]:
    """ "A [1 bản chính] | B [0 bản chính,1 bản sao]" → [{"name": "A", "copies": …}, …].

    The copies text is kept as published. The CSV's "…(+N mục nữa …)" marker becomes
    {"name": <marker>, "copies": "", "more": N} so that a shortened list stays visibly shortened.
    """
    documents = []
    for part in (cell or "").split(" | "):
        part = part.strip()
        if not part:
            continue
        more = _MORE.match(part)
        if more:
            documents.append({"name": part, "copies": "", "more": int(more.group(1))})
            continue
        match = _COPIES.match(part)
        if match:
            documents.append({"name": match.group(1).strip(), "copies": match.group(2).strip()})
        else:
            documents.append({"name": part, "copies": ""})
    return documents


def parse_list(cell: str, sep: str) -> list[str]:
    out = []
    for part in (cell or "").split(sep):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def parse_row(row: dict, *, line: int) -> ProcedureRecord:
    """One CSV row → a record, or RowError naming the line and the field."""
    code = (row.get("code") or "").strip()
    if not code:
        raise RowError(line, "code", "empty")
    if len(code) > 60:
        raise RowError(line, "code", "longer than 60 characters")
    name = " ".join((row.get("name") or "").split())
    if not name:
        raise RowError(line, "name", "empty")
    if len(name) > 1500:
        raise RowError(line, "name", "longer than 1500 characters")
    time_unit = (row.get("time_unit") or "").strip()
    if time_unit and time_unit.lower() not in UNITS:
        known = ", ".join(repr(u.capitalize()) for u in UNITS)
        raise RowError(line, "time_unit", f"unknown unit {time_unit!r} (known: {known})")
    try:
        value, unit, text = parse_limit(row.get("time_limit", ""), time_unit)
    except ValueError as exc:
        raise RowError(line, "time_limit", str(exc)) from exc
    try:
        channels = parse_channels(row.get("online_level", ""))
    except ValueError as exc:
        raise RowError(line, "online_level", str(exc)) from exc
    sector = (row.get("sector") or "").strip()
    if len(sector) > 200:
        raise RowError(line, "sector", "longer than 200 characters")
    return ProcedureRecord(
        code=code,
        name=name,
        sector=sector,
        levels=parse_list(row.get("level", ""), ", "),
        limit_value=value,
        limit_unit=unit,
        limit_text=text[:500],
        fee_text=(row.get("fee") or "").strip(),
        channels=channels,
        online_level="",  # the source has no full/partial information: unknown
        documents=parse_documents(row.get("documents", "")),
        legal_basis=parse_list(row.get("legal_basis", ""), "; "),
        source=(row.get("source") or "").strip()[:500],
    )


def read_catalogue(path: Path, *, limit: int | None = None) -> Iterator:
    """Yield (line, record or RowError) for each data row; raise RowError for a bad header.

    A bad row does not stop the reading: the caller decides (the import loads the good rows
    and reports the bad ones).
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise RowError(1, missing[0], f"missing column (the header has: {', '.join(header)})")
        count = 0
        while limit is None or count < limit:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise RowError(line, "", f"not a readable CSV: {exc}") from exc
            count += 1
            if None in row:
                yield line, RowError(line, "source", "more cells than columns")
                continue
            try:
                yield line, parse_row(row, line=line)
            except RowError as exc:
                yield line, exc
