"""Server-side charts: accessible inline SVG built in Python, each with a table alternative.

No JavaScript chart library and nothing from a CDN: a chart is a string of SVG that the page
inlines (and `exports.svg_png` turns into a PNG). Every chart is a `Chart`:

* `svg` — `<svg role="img" aria-labelledby="…">` with a `<title>` and a `<desc>` (the desc
  summarises the data in words: range, last value, signals);
* `table` — the same numbers as a `Table` (caption, column headers, rows), which the template
  shows under the chart (in a `<details>`), and which the exports reuse.

Series are told apart by colour *and* by line dash and marker shape; on the SPC charts a point
with a signal is a larger diamond (not only a red dot) and the table names its rules, so that
nothing depends on colour alone (WCAG 1.4.1). Colours have ≥ 3:1 contrast on white (1.4.11).

Pure rendering: numbers and labels in, strings out (labels are translated with gettext; numbers
are formatted for the active language). See docs/dashboards.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .spc import PChart, XmRChart

WIDTH, HEIGHT = 720, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 60, 72, 44, 36
FONT = "DejaVu Sans, Noto Sans, Liberation Sans, Arial, sans-serif"

#: (colour, dash, marker) per series: colour ≥ 3:1 on white; dash and marker repeat the
#: distinction for readers who do not see the colour.
STYLES = (
    ("#0b5cad", "", "circle"),  # blue 6.7:1
    ("#8a5a00", "7 4", "square"),  # dark amber 5.9:1
    ("#1e5631", "2 3", "triangle"),  # dark green 8.4:1
    ("#6b3fa0", "10 3 2 3", "circle"),  # purple 7.4:1
)
GRID = "#d5dbe3"
AXIS = "#4f5863"
TEXT = "#1b1f24"
CENTRE = "#4f5863"
LIMIT = "#b3261e"
SIGNAL = "#b3261e"


# --------------------------------------------------------------------------- data shapes


@dataclass(frozen=True)
class Table:
    """A chart's data as a table: `rows[i][0]` is the row header (the x label)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    svg: str
    table: Table
    signals: tuple[str, ...] = ()  # one sentence per signal (SPC charts)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no data for that label (a gap in the line)
    style: int = 0


@dataclass
class _Canvas:
    width: int = WIDTH
    height: int = HEIGHT
    parts: list[str] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.parts.append(element)


# --------------------------------------------------------------------------- formatting


def fmt(value: float | None, decimals: int = 1) -> str:
    """A number in the active language's format (vi: 93,5), '—' for None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if decimals == 0 or float(value).is_integer():
        return number_format(round(value), 0, use_l10n=True, force_grouping=True)
    return number_format(round(value, decimals), decimals, use_l10n=True, force_grouping=True)


def _attr(value) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10ⁿ)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value < hi + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _points(corners) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in corners)


def _marker(shape: str, x: float, y: float, colour: str, size: float = 4.0) -> str:
    if shape == "square":
        s = size * 0.9
        return (
            f'<rect x="{_num(x - s)}" y="{_num(y - s)}" width="{_num(2 * s)}" '
            f'height="{_num(2 * s)}" fill="{colour}"/>'
        )
    if shape == "triangle":
        s = size * 1.2
        corners = ((x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8))
        return f'<polygon points="{_points(corners)}" fill="{colour}"/>'
    if shape == "diamond":
        s = size * 1.6
        corners = ((x, y - s), (x + s, y), (x, y + s), (x - s, y))
        return (
            f'<polygon points="{_points(corners)}" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="1.5"/>'
        )
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(size)}" fill="{colour}"/>'


def _svg(chart_id: str, title: str, description: str, canvas: _Canvas) -> str:
    lang = (get_language() or "vi").split("-")[0]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'aria-labelledby="{_attr(chart_id)}-t {_attr(chart_id)}-d" lang="{_attr(lang)}" '
        f'width="{canvas.width}" height="{canvas.height}" '
        f'viewBox="0 0 {canvas.width} {canvas.height}" font-family="{_attr(FONT)}" '
        f'font-size="12">'
        f'<title id="{_attr(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{_attr(chart_id)}-d">{escape(description)}</desc>'
        f'<rect width="{canvas.width}" height="{canvas.height}" fill="#ffffff"/>'
    )
    return head + "".join(canvas.parts) + "</svg>"


@dataclass(frozen=True)
class _Frame:
    """The plot area and the y scale."""

    left: float
    top: float
    right: float
    bottom: float
    lo: float
    hi: float

    def y(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.bottom - (value - self.lo) / span * (self.bottom - self.top)

    def x(self, index: int, count: int) -> float:
        step = (self.right - self.left) / max(count, 1)
        return self.left + step * (index + 0.5)

    def step(self, count: int) -> float:
        return (self.right - self.left) / max(count, 1)


def _frame(
    canvas: _Canvas, lo: float, hi: float, legend: Sequence[str] = ()
) -> tuple[_Frame, list[float]]:
    """The plot area below the legend (however many rows it takes) and the y ticks."""
    ticks = nice_ticks(lo, hi)
    rows = max((y for _x, y in _legend_positions(canvas.width, legend)), default=LEGEND_Y)
    frame = _Frame(
        left=MARGIN_LEFT,
        top=MARGIN_TOP + rows - LEGEND_Y,
        right=canvas.width - MARGIN_RIGHT,
        bottom=canvas.height - MARGIN_BOTTOM,
        lo=min(ticks[0], lo),
        hi=max(ticks[-1], hi),
    )
    return frame, ticks


def _axes(
    canvas: _Canvas,
    frame: _Frame,
    ticks: Sequence[float],
    labels: Sequence[str],
    unit: str,
    decimals: int,
) -> None:
    for tick in ticks:
        y = frame.y(tick)
        canvas.add(
            f'<line x1="{_num(frame.left)}" x2="{_num(frame.right)}" y1="{_num(y)}" '
            f'y2="{_num(y)}" stroke="{GRID}" stroke-width="1"/>'
        )
        canvas.add(
            f'<text x="{_num(frame.left - 6)}" y="{_num(y + 4)}" text-anchor="end" '
            f'fill="{TEXT}">{escape(fmt(tick, decimals))}</text>'
        )
    canvas.add(
        f'<line x1="{_num(frame.left)}" x2="{_num(frame.right)}" y1="{_num(frame.bottom)}" '
        f'y2="{_num(frame.bottom)}" stroke="{AXIS}" stroke-width="1.5"/>'
    )
    canvas.add(
        f'<line x1="{_num(frame.left)}" x2="{_num(frame.left)}" y1="{_num(frame.top)}" '
        f'y2="{_num(frame.bottom)}" stroke="{AXIS}" stroke-width="1.5"/>'
    )
    if unit:
        canvas.add(
            f'<text x="{_num(frame.left - 6)}" y="{_num(frame.top - 12)}" text-anchor="end" '
            f'font-size="11" fill="{TEXT}">{escape(unit)}</text>'
        )
    count = len(labels)
    longest = max((len(_short(label)) for label in labels), default=1)
    fits = max(1, int((frame.right - frame.left) // (longest * 7 + 12)))
    every = max(1, math.ceil(count / fits))  # labels never overlap
    for i, label in enumerate(labels):
        if (count - 1 - i) % every:  # counted from the latest period, which is always shown
            continue
        x = frame.x(i, count)
        canvas.add(
            f'<text x="{_num(x)}" y="{_num(frame.bottom + 18)}" text-anchor="middle" '
            f'fill="{TEXT}">{escape(_short(label))}</text>'
        )


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


LEGEND_Y, LEGEND_ROW = 18, 18


def _legend_positions(width: int, texts: Sequence[str]) -> list[tuple[float, float]]:
    """Where each legend item goes: rows above the plot, wrapping when a row is full."""
    x, y = float(MARGIN_LEFT), float(LEGEND_Y)
    out = []
    for text in texts:
        item = 34 + 7 * len(text)
        if x + item > width - 8 and x > MARGIN_LEFT:
            x, y = float(MARGIN_LEFT), y + LEGEND_ROW
        out.append((x, y))
        x += item
    return out


def _legend(canvas: _Canvas, items: Sequence[tuple[str, str]]) -> None:
    """items: (symbol SVG drawn at 0,0, text), laid out by `_legend_positions`."""
    positions = _legend_positions(canvas.width, [text for _symbol, text in items])
    for (symbol, text), (x, y) in zip(items, positions, strict=True):
        canvas.add(f'<g transform="translate({_num(x)},{_num(y)})">{symbol}</g>')
        canvas.add(
            f'<text x="{_num(x + 28)}" y="{_num(y + 4)}" fill="{TEXT}">{escape(text)}</text>'
        )


def _line_symbol(colour: str, dash: str, marker: str | None, width: float = 2.0) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    line = (
        f'<line x1="0" x2="22" y1="0" y2="0" stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
    )
    return line + (_marker(marker, 11, 0, colour) if marker else "")


def _range(values: Sequence[float | None]) -> tuple[float, float]:
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return 0.0, 1.0
    return min(present), max(present)


def _describe_series(series: Series, labels: Sequence[str], unit: str, decimals: int) -> str:
    pairs = [(label, v) for label, v in zip(labels, series.values, strict=True) if v is not None]
    if not pairs:
        return _("%(name)s: chưa có số liệu.") % {"name": series.name}
    low = min(pairs, key=lambda p: p[1])
    high = max(pairs, key=lambda p: p[1])
    return _(
        "%(name)s: thấp nhất %(low)s%(unit)s (%(low_label)s), cao nhất %(high)s%(unit)s "
        "(%(high_label)s), gần nhất %(last)s%(unit)s (%(last_label)s)."
    ) % {
        "name": series.name,
        "low": fmt(low[1], decimals),
        "low_label": low[0],
        "high": fmt(high[1], decimals),
        "high_label": high[0],
        "last": fmt(pairs[-1][1], decimals),
        "last_label": pairs[-1][0],
        "unit": f" {unit}" if unit and unit != "%" else unit,
    }


def _series_table(
    caption: str,
    label_header: str,
    labels: Sequence[str],
    series: Sequence[Series],
    decimals: int,
    cell: Callable[[int, int], str] | None = None,
) -> Table:
    rows = []
    for i, label in enumerate(labels):
        row = [label]
        for j, s in enumerate(series):
            row.append(cell(i, j) if cell else fmt(s.values[i], decimals))
        rows.append(tuple(row))
    return Table(caption, (label_header, *(s.name for s in series)), tuple(rows))


# --------------------------------------------------------------------------- line and bar


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    decimals: int = 1,
    y_min: float | None = None,
    y_max: float | None = None,
    label_header: str = "",
    cell: Callable[[int, int], str] | None = None,
) -> Chart:
    """A trend: one line per series over the labels (None values leave a gap).

    `cell(i, j)` may override the table text of label i, series j (e.g. 'x' where a public
    count is suppressed)."""
    canvas = _Canvas()
    lo, hi = _range([v for s in series for v in s.values])
    lo = lo if y_min is None else min(y_min, lo)
    hi = hi if y_max is None else max(y_max, hi)
    frame, ticks = _frame(canvas, lo, hi, [s.name for s in series])
    _axes(canvas, frame, ticks, labels, unit, decimals if hi - lo < 10 else 0)
    count = len(labels)
    for s in series:
        colour, dash, marker = STYLES[s.style % len(STYLES)]
        segment: list[str] = []
        segments = [segment]
        for i, value in enumerate(s.values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{_num(frame.x(i, count))},{_num(frame.y(value))}")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for seg in segments:
            if len(seg) > 1:
                canvas.add(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
                )
        for i, value in enumerate(s.values):
            if value is not None:
                canvas.add(_marker(marker, frame.x(i, count), frame.y(value), colour))
    _legend(canvas, [(_line_symbol(*STYLES[s.style % len(STYLES)]), s.name) for s in series])
    words = " ".join(_describe_series(s, labels, unit, decimals) for s in series)
    full = f"{description} {words}".strip()
    return Chart(
        chart_id,
        title,
        full,
        _svg(chart_id, title, full, canvas),
        _series_table(title, label_header or _("Kỳ"), labels, series, decimals, cell),
    )


_HATCH = (
    '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="3"/></pattern></defs>'
)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    decimals: int = 0,
    label_header: str = "",
    cell: Callable[[int, int], str] | None = None,
) -> Chart:
    """Grouped bars, one group per label. The first series is solid, the second hatched (so
    the two differ without colour); None draws no bar."""
    canvas = _Canvas()
    lo, hi = _range([v for s in series for v in s.values])
    frame, ticks = _frame(canvas, min(0.0, lo), max(hi, 1.0), [s.name for s in series])
    _axes(canvas, frame, ticks, labels, unit, decimals)
    fills = []
    for j, s in enumerate(series):
        colour = STYLES[s.style % len(STYLES)][0]
        if j % 2:
            canvas.add(_HATCH.format(id=_attr(f"{chart_id}-{j}"), colour=colour))
            fills.append((f"url(#{_attr(chart_id)}-{j}-hatch)", colour))
        else:
            fills.append((colour, colour))
    count = len(labels)
    group = frame.step(count) * 0.75
    width = group / max(len(series), 1)
    for i in range(count):
        x0 = frame.x(i, count) - group / 2
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            top, base = frame.y(max(value, 0)), frame.y(min(value, 0))
            fill, colour = fills[j]
            canvas.add(
                f'<rect x="{_num(x0 + j * width)}" y="{_num(top)}" width="{_num(width * 0.9)}" '
                f'height="{_num(max(base - top, 0.5))}" fill="{fill}" stroke="{colour}" '
                f'stroke-width="1"/>'
            )
    legend = []
    for j, s in enumerate(series):
        fill, colour = fills[j]
        legend.append(
            (
                f'<rect x="0" y="-6" width="22" height="12" fill="{fill}" stroke="{colour}"/>',
                s.name,
            )
        )
    _legend(canvas, legend)
    words = " ".join(_describe_series(s, labels, unit, decimals) for s in series)
    full = f"{description} {words}".strip()
    return Chart(
        chart_id,
        title,
        full,
        _svg(chart_id, title, full, canvas),
        _series_table(title, label_header or _("Kỳ"), labels, series, decimals, cell),
    )


# --------------------------------------------------------------------------- SPC charts


def _signal_name(signal) -> str:
    english = (get_language() or "vi").startswith("en")
    return signal.name_en if english else signal.name_vi


def _spc(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float],
    centre: float,
    ucl: Sequence[float],
    lcl: Sequence[float],
    rules_at: Callable[[int], list[int]],
    signals,
    unit: str,
    decimals: int,
    value_name: str,
    extra_headers: Sequence[str] = (),
    extra_cells: Callable[[int], Sequence[str]] | None = None,
) -> Chart:
    canvas = _Canvas()
    lo = min([*values, *lcl, centre])
    hi = max([*values, *ucl, centre])
    legend = [
        (_line_symbol(STYLES[0][0], "", "circle"), value_name),
        (_line_symbol(CENTRE, "", None, 1.75), _("Đường tâm (CL)")),
        (_line_symbol(LIMIT, "8 4", None, 1.75), _("Giới hạn kiểm soát (UCL, LCL)")),
        (_marker("diamond", 11, 0, SIGNAL, 4.5), _("Điểm có tín hiệu")),
    ]
    frame, ticks = _frame(canvas, lo, hi, [text for _symbol, text in legend])
    _axes(canvas, frame, ticks, labels, unit, decimals)
    count = len(values)
    half = frame.step(count) / 2

    def steps(limits: Sequence[float]) -> str:
        points = []
        for i, limit in enumerate(limits):
            x = frame.x(i, count)
            points += [f"{_num(x - half)},{_num(frame.y(limit))}"]
            points += [f"{_num(x + half)},{_num(frame.y(limit))}"]
        return " ".join(points)

    for limits in (ucl, lcl):
        canvas.add(
            f'<polyline points="{steps(limits)}" fill="none" stroke="{LIMIT}" '
            f'stroke-width="1.75" stroke-dasharray="8 4"/>'
        )
    y_centre = frame.y(centre)
    canvas.add(
        f'<line x1="{_num(frame.left)}" x2="{_num(frame.right)}" y1="{_num(y_centre)}" '
        f'y2="{_num(y_centre)}" stroke="{CENTRE}" stroke-width="1.75"/>'
    )
    right = frame.right + 4
    for name, y in (
        ("UCL", frame.y(ucl[-1])),
        ("CL", y_centre),
        ("LCL", frame.y(lcl[-1])),
    ):
        canvas.add(f'<text x="{_num(right)}" y="{_num(y + 4)}" fill="{TEXT}">{name}</text>')
    points = " ".join(f"{_num(frame.x(i, count))},{_num(frame.y(v))}" for i, v in enumerate(values))
    if count > 1:
        canvas.add(
            f'<polyline points="{points}" fill="none" stroke="{STYLES[0][0]}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    for i, value in enumerate(values):
        x, y = frame.x(i, count), frame.y(value)
        if rules_at(i):
            canvas.add(_marker("diamond", x, y, SIGNAL, 4.5))
        else:
            canvas.add(_marker("circle", x, y, STYLES[0][0], 3.5))
    _legend(canvas, legend)
    sentences = []
    for signal in signals:
        label = labels[signal.trigger_index] if signal.trigger_index < len(labels) else ""
        sentences.append(
            _("%(label)s: quy tắc %(rule)s — %(name)s.")
            % {"label": label, "rule": signal.rule, "name": _signal_name(signal)}
        )
    summary = _("Đường tâm %(centre)s%(unit)s.") % {
        "centre": fmt(centre, decimals),
        "unit": f" {unit}" if unit and unit != "%" else unit,
    }
    if sentences:
        summary += " " + _("Có %(n)s tín hiệu: %(list)s") % {
            "n": len(sentences),
            "list": " ".join(sentences),
        }
    else:
        summary += " " + _("Không có tín hiệu bất thường: quá trình ổn định.")
    full = f"{description} {summary}".strip()
    rows = []
    for i, label in enumerate(labels):
        rules = rules_at(i)
        rows.append(
            (
                label,
                fmt(values[i], decimals),
                *(extra_cells(i) if extra_cells else ()),
                fmt(centre, decimals),
                fmt(lcl[i], decimals),
                fmt(ucl[i], decimals),
                ", ".join(str(r) for r in rules) if rules else "—",
            )
        )
    headers = (
        _("Kỳ"),
        value_name,
        *extra_headers,
        _("Đường tâm"),
        _("Giới hạn dưới"),
        _("Giới hạn trên"),
        _("Tín hiệu (quy tắc)"),
    )
    return Chart(
        chart_id,
        title,
        full,
        _svg(chart_id, title, full, canvas),
        Table(title, headers, tuple(rows)),
        tuple(sentences),
    )


def p_chart_svg(
    chart: PChart, *, chart_id: str, title: str, description: str, value_name: str
) -> Chart:
    """A p-chart in percent: the share per subgroup, p̄, and each subgroup's own limits."""
    labels = [str(label or i + 1) for i, label in enumerate(chart.labels or range(len(chart.p)))]
    return _spc(
        chart_id=chart_id,
        title=title,
        description=description,
        labels=labels,
        values=[100 * p for p in chart.p],
        centre=100 * chart.center,
        ucl=[100 * u for u in chart.ucl],
        lcl=[100 * lo for lo in chart.lcl],
        rules_at=chart.rules_at,
        signals=chart.signals,
        unit="%",
        decimals=1,
        value_name=value_name,
        extra_headers=(_("Số hồ sơ (n)"), _("Số quá hạn")),
        extra_cells=lambda i: (fmt(chart.sizes[i], 0), fmt(chart.defectives[i], 0)),
    )


def xmr_chart_svg(
    chart: XmRChart,
    *,
    chart_id: str,
    title: str,
    description: str,
    value_name: str,
    unit: str,
) -> Chart:
    """The individuals (X) chart of an XmR pair; the moving ranges are in the table."""
    count = len(chart.values)
    labels = [str(label or i + 1) for i, label in enumerate(chart.labels or range(count))]
    return _spc(
        chart_id=chart_id,
        title=title,
        description=description,
        labels=labels,
        values=list(chart.values),
        centre=chart.center,
        ucl=[chart.ucl] * count,
        lcl=[chart.lcl] * count,
        rules_at=chart.rules_at,
        signals=chart.signals,
        unit=unit,
        decimals=1,
        value_name=value_name,
        extra_headers=(_("Khoảng biến động (MR)"),),
        extra_cells=lambda i: (fmt(chart.moving_ranges[i], 1),),
    )
