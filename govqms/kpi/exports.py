"""Exports of the staff dashboards: tables as CSV and XLSX (openpyxl), charts as PNG (CairoSVG).

A `Sheet` is a title, a few lines saying what the figures are about (unit, period, procedure,
when), the column headers and the rows of raw values (numbers stay numbers: Excel and pandas read
them as such). CSV is UTF-8 with a byte-order mark so that Excel shows Vietnamese correctly;
the XLSX file carries the same rows under the title and the notes. docs/dashboards.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG_SCALE = 2  # 1440 × 640 pixels for the 720 × 320 charts: sharp when printed


@dataclass(frozen=True)
class Sheet:
    title: str
    notes: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


# --- Building the sheets ----------------------------------------------------------------------


def _notes(unit, start: dt.date, end: dt.date, procedure) -> tuple[str, ...]:
    notes = [
        _("Đơn vị: %(unit)s (%(code)s), gồm các đơn vị trực thuộc")
        % {"unit": unit.name, "code": unit.code},
        _("Kỳ: %(start)s – %(end)s") % {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"},
        _("Thủ tục: %(procedure)s")
        % {"procedure": f"{procedure.code} {procedure.name}" if procedure else _("mọi thủ tục")},
        _("Xuất lúc: %(at)s (giờ Việt Nam)") % {"at": f"{timezone.localtime():%H:%M %d/%m/%Y}"},
    ]
    return tuple(notes)


def _number(value):
    if isinstance(value, float):
        return round(value, 4)
    return value


def indicator_sheet(rows: Sequence[Mapping[str, Any]], unit, start, end, procedure) -> Sheet:
    """The indicator table: code, name, value, numerator, denominator, unit, source."""
    headers = (
        _("Mã chỉ số"),
        _("Chỉ số"),
        _("Giá trị"),
        _("Đơn vị tính"),
        _("Tử số"),
        _("Mẫu số"),
        _("Ước lượng (không chính xác tuyệt đối)"),
        _("Thiếu dữ liệu"),
        _("Nguồn"),
    )
    body = tuple(
        (
            row["code"],
            row["name"],
            _number(row["value"]),
            row["unit"],
            _number(row["numerator"]),
            _number(row["denominator"]),
            "" if row["exact"] else _("có"),
            ", ".join(row["missing"]),
            row["source"],
        )
        for row in rows
    )
    return Sheet(_("Chỉ số"), _notes(unit, start, end, procedure), headers, body)


def rollup_sheet(table: Mapping[str, Any], unit, start, end, procedure) -> Sheet:
    """The roll-up: one row per child unit, the rest and the total."""
    headers = (
        _("Mã đơn vị"),
        _("Đơn vị"),
        *(str(h) for h in table["headers"]),
        _("Tỷ lệ đúng hạn (%)"),
        _("Thời gian giải quyết trung bình (ngày làm việc)"),
    )
    lines = sorted([*table["rows"], *table["idle"]], key=lambda r: r["label"])
    if table["other"]:
        lines.append(table["other"])
    lines.append(table["total"])
    body = tuple(
        (
            row["unit"].code if row["unit"] is not None and row is not table["total"] else "",
            row["label"],
            *(cell["value"] for cell in row["cells"]),
            _number(row["on_time_share"]),
            _number(row["avg_days"]),
        )
        for row in lines
    )
    return Sheet(_("Tổng hợp theo đơn vị"), _notes(unit, start, end, procedure), headers, body)


# --- Writing them -----------------------------------------------------------------------------


def sheet_csv(sheet: Sheet, *, bom: bool = True) -> bytes:
    """Headers and rows (no notes: a CSV file is one table), UTF-8, BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buffer.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def sheet_xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    ws.title = sheet.title[:31]
    ws.append([sheet.title])
    ws["A1"].font = Font(bold=True, size=14)
    for note in sheet.notes:
        ws.append([note])
    ws.append([])
    ws.append(list(sheet.headers))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append(list(row))
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for index, header in enumerate(sheet.headers, start=1):
        width = max([len(str(header))] + [len(str(r[index - 1] or "")) for r in sheet.rows])
        ws.column_dimensions[get_column_letter(index)].width = min(max(10, width + 2), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_response(sheet: Sheet, fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(sheet_csv(sheet), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(sheet_xlsx(sheet), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


class PngUnavailable(RuntimeError):
    """CairoSVG (or the cairo library it loads) is not installed."""


def svg_png(svg: str, *, scale: float = PNG_SCALE) -> bytes:
    """The chart's SVG rendered to PNG by CairoSVG (LGPL-3.0, runtime dependency; it needs the
    system's libcairo, which WeasyPrint's platform packages already bring)."""
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # OSError: cairosvg present, libcairo missing
        raise PngUnavailable(
            _("Không xuất được ảnh PNG: máy chủ thiếu thư viện CairoSVG/cairo (%(error)s).")
            % {"error": exc}
        ) from exc
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
