"""CSV and Excel (XLSX) import of dossier events, with the guarantees of `ingest.events_ingest`.

One row is one event record; the header names the columns (docs/ingestion.md lists them):
the record fields (`source_id`, `dossier_code`, `procedure`, `receiving_unit`, `kind`,
`occurred_at`, ...) plus any `data.<name>` column, kept in the event's data. Rows stream in
chunks of at most 10,000 through `events_ingest` (one transaction and one audit entry per chunk),
so memory stays flat and a crash loses at most the chunk in flight, which a rerun completes
(the rows already stored count as duplicated). Errors name the file's line (CSV: the physical
line where the row starts; XLSX: the sheet's row number).

Date-times must carry a UTC offset. Excel cells hold no time zone: pass `tz` (e.g.
"Asia/Ho_Chi_Minh") to read offset-less values as local times of that zone; without it they are
rejected like any naive time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from . import ingest
from .services import CalendarCache

DATA_PREFIX = "data."
COLUMNS = (*ingest.TEXT_FIELDS, *ingest.INSTANT_FIELDS)
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class TableError(Exception):
    """The file cannot be read as a table of events (nothing of it was imported)."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field or '-'}: {self.message}"


@dataclass
class TableResult:
    path: str
    source: str
    totals: ingest.IngestResult
    errors: list[RowError] = field(default_factory=list)
    chunks: int = 0

    def as_dict(self) -> dict[str, Any]:
        totals = self.totals.as_dict()
        totals.pop("errors")
        totals.pop("sha256")
        return {
            "path": self.path,
            **totals,
            "chunks": self.chunks,
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass(frozen=True)
class _Row:
    line: int
    record: dict[str, Any] | None
    problem: tuple[str, str] | None = None


def _columns(header: list[Any]) -> list[str]:
    names = [str(h).strip() if h is not None else "" for h in header]
    unknown = [n for n in names if n and n not in COLUMNS and not n.startswith(DATA_PREFIX)]
    if unknown:
        raise TableError(
            f"unknown column(s) {', '.join(map(repr, unknown))}: the columns are "
            f"{', '.join(COLUMNS)} and data.<name> for extra attributes"
        )
    if "source_id" not in names:
        raise TableError("the header has no source_id column (each row needs its own id)")
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise TableError(f"column(s) {', '.join(repeated)} appear more than once")
    return names


def _cell(value: Any, tz: ZoneInfo | None) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and tz is not None:
            value = value.replace(tzinfo=tz)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _localize(text: str, tz: ZoneInfo) -> str:
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return text  # events_ingest names the problem
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz).isoformat()
    return text


def _record(names: list[str], cells: list[Any], tz: ZoneInfo | None) -> dict[str, Any]:
    record: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name, raw in zip(names, cells, strict=False):
        if not name:
            continue
        value = _cell(raw, tz)
        if value is None or value == "":
            continue
        if name.startswith(DATA_PREFIX):
            data[name[len(DATA_PREFIX) :]] = value
            continue
        if tz is not None and name in ingest.INSTANT_FIELDS and isinstance(value, str):
            value = _localize(value, tz)
        record[name] = value
    if data:
        record["data"] = data
    return record


def _check_utf8(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise TableError(
                    f"not UTF-8 text near byte {offset + exc.start}: save the file as "
                    "CSV UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)')"
                ) from None
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise TableError("not UTF-8 text: the file ends inside a character") from None


def _csv_rows(path: Path, tz: ZoneInfo | None) -> Iterator[_Row]:
    _check_utf8(path)  # before anything lands: a bad byte is an unreadable file, not a row
    with path.open(newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            header = next(reader)
        except StopIteration:
            raise TableError("the file is empty") from None
        except csv.Error as exc:
            raise TableError(f"line 1: {exc}") from None
        names = _columns(header)
        previous = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise TableError(f"line {previous + 1}: {exc}") from None
            line, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names):
                message = _("Dòng có %(cells)s ô nhưng chỉ có %(columns)s cột.")
                yield _Row(line, None, ("", message % {"cells": len(cells), "columns": len(names)}))
                continue
            yield _Row(line, _record(names, cells, tz))


def _xlsx_rows(path: Path, tz: ZoneInfo | None) -> Iterator[_Row]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise TableError(f"not an Excel workbook (.xlsx): {exc}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError("the first sheet is empty")
        names = _columns(list(header))
        for line, cells in enumerate(rows, start=2):
            if not any(c not in (None, "") for c in cells):
                continue
            extra = [c for c in cells[len(names) :] if c not in (None, "")]
            if extra:
                yield _Row(line, None, ("", _("Có ô nằm ngoài cột cuối cùng có tên.")))
                continue
            yield _Row(line, _record(names, list(cells), tz))
    finally:
        book.close()


def read_table(path: str | Path, *, tz: str | None = None) -> Iterator[_Row]:
    """Rows of a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX file."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"no such file: {path}")
    zone = None
    if tz:
        try:
            zone = ZoneInfo(tz)
        except (KeyError, ValueError) as exc:
            raise TableError(f"unknown time zone {tz!r}") from exc
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_rows(path, zone)
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(path, zone)
    raise TableError(f"unsupported file type {suffix!r}: use .csv or .xlsx")


def table_import(
    *,
    actor,
    path: str | Path,
    source: str,
    tz: str | None = None,
    chunk_size: int = ingest.MAX_BATCH,
    on_violation: str = ingest.REJECT,
) -> TableResult:
    """Import a CSV/XLSX file of event records. Raises TableError for an unreadable file;
    row problems are in `errors` (by line) and never stop the other rows."""
    chunk_size = max(1, min(chunk_size, ingest.MAX_BATCH))
    totals = ingest.IngestResult(source=source)
    result = TableResult(path=str(path), source=source, totals=totals)
    calendars = CalendarCache()
    records: list[dict[str, Any]] = []
    lines: list[int] = []

    def flush() -> None:
        if not records:
            return
        batch = ingest.events_ingest(
            actor=actor,
            source=source,
            records=records,
            on_violation=on_violation,
            calendars=calendars,
        )
        totals.add(batch)
        result.chunks += 1
        result.errors.extend(RowError(lines[e.index], e.field, e.message) for e in batch.errors)
        records.clear()
        lines.clear()

    rows = read_table(path, tz=tz)
    for row in rows:
        if row.problem is not None:
            totals.records += 1
            totals.rejected += 1
            result.errors.append(RowError(row.line, *row.problem))
            continue
        records.append(row.record)
        lines.append(row.line)
        if len(records) >= chunk_size:
            flush()
    flush()
    result.errors.sort(key=lambda e: e.line)
    return result
