"""Exports of the dashboards (CSV, XLSX, PNG) and the SVG charts they come from."""

from __future__ import annotations

import csv
import io
import struct
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from govqms.kpi import charts, selectors
from govqms.kpi.spc import RuleSet, p_chart, xmr_chart
from tests.dossiers.conftest import version  # noqa: F401  (fixture)
from tests.kpi.test_views import month_query, scenario  # noqa: F401  (fixture)

SVG = "{http://www.w3.org/2000/svg}"


def expected_values(s, unit):
    rows = selectors.indicator_values(
        unit=unit, subtree=True, start=s["month"], end=s["month_end"], now=timezone.now()
    )
    return {r["code"]: r for r in rows}


# --- Tables -------------------------------------------------------------------------------------


def test_indicator_table_as_csv(client, users, scenario):  # noqa: F811
    client.force_login(users["overseer"])
    response = client.get(f"/chi-so/xuat/chi-so.csv?don_vi=01&{month_query(scenario)}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="chi-so-01-' in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Vietnamese
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã chỉ số", "Chỉ số", "Giá trị"]
    by_code = {r[0]: r for r in rows[1:]}
    expected = expected_values(scenario, scenario["hanoi"])
    assert set(by_code) == set(expected)
    on_time = by_code["SHARE_FINISHED_ON_TIME"]
    assert (on_time[4], on_time[5]) == ("14", "17")
    assert float(on_time[2]) == pytest.approx(expected["SHARE_FINISHED_ON_TIME"]["value"], abs=1e-4)
    assert by_code["SATISFACTION"][7] == "survey_satisfied, survey_responses"


def test_indicator_table_as_xlsx(client, users, scenario):  # noqa: F811
    client.force_login(users["leader_a"])
    response = client.get(f"/chi-so/xuat/chi-so.xlsx?{month_query(scenario)}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "Phường Hoàn Kiếm" in rows[1][0]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Mã chỉ số")
    by_code = {r[0]: r for r in rows[header + 1 :]}
    assert by_code["SHARE_FINISHED_ON_TIME"][4:6] == [12, 14]  # numbers stay numbers
    assert by_code["OPEN_OVERDUE"][2] == 2


def test_rollup_as_csv_adds_up(client, users, scenario):  # noqa: F811
    client.force_login(users["overseer"])
    response = client.get(f"/chi-so/xuat/tong-hop.csv?don_vi=01&{month_query(scenario)}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    received = header.index("Tiếp nhận")
    *units, total = body
    assert total[1] == "Tổng cộng"
    assert sum(int(r[received]) for r in units) == int(total[received]) == 19


def test_unknown_export_or_format_is_404(client, users, scenario):  # noqa: F811
    client.force_login(users["overseer"])
    assert client.get("/chi-so/xuat/chi-so.pdf").status_code == 404
    assert client.get("/chi-so/xuat/khac.csv").status_code == 404
    assert client.get("/chi-so/bieu-do/khac.png").status_code == 404


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_charts_as_png(client, users, scenario):  # noqa: F811
    client.force_login(users["overseer"])
    for name in ("tiep-nhan", "ty-le"):
        response = client.get(f"/chi-so/bieu-do/{name}.png?don_vi=01&{month_query(scenario)}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "image/png"
        assert png_size(response.content) == (1440, 640)
    # One month with finished dossiers only: not enough points for a control chart.
    response = client.get(f"/chi-so/bieu-do/xmr.png?don_vi=01&{month_query(scenario)}")
    assert response.status_code == 404


# --- The SVG charts -----------------------------------------------------------------------------


def parse_svg(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(chart.svg)  # noqa: S314 - our own SVG: is it well-formed XML?
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}title").text == chart.title
    return root


def test_line_chart_is_accessible_svg_with_a_table(settings):
    chart = charts.line_chart(
        chart_id="t",
        title="Tỷ lệ <đúng hạn> & trực tuyến",
        description="Mô tả.",
        labels=["01/2026", "02/2026", "03/2026"],
        series=[
            charts.Series("Đúng hạn", [90.0, None, 95.5], 0),
            charts.Series("Trực tuyến", [40.0, 45.0, 50.0], 1),
        ],
        unit="%",
        y_min=0,
        y_max=100,
    )
    root = parse_svg(chart)
    assert "&lt;đúng hạn&gt; &amp;" in chart.svg  # labels are escaped
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1  # "Đúng hạn" has a gap: no line through the missing month
    assert any(el.get("stroke-dasharray") for el in root.iter() if el.tag == f"{SVG}line")
    assert chart.table.headers == ("Kỳ", "Đúng hạn", "Trực tuyến")
    assert chart.table.rows[1] == ("02/2026", "—", "45")
    assert chart.table.rows[2][1] == "95,5"  # Vietnamese decimal comma
    assert "cao nhất 95,5%" in chart.description


def test_bar_chart_second_series_is_hatched():
    chart = charts.bar_chart(
        chart_id="b",
        title="Hồ sơ",
        description="",
        labels=["T1", "T2"],
        series=[charts.Series("Tiếp nhận", [10, 12], 0), charts.Series("Xong", [8, None], 1)],
        cell=lambda i, j: "<5" if (i, j) == (1, 1) else "",
    )
    root = parse_svg(chart)
    assert root.find(f".//{SVG}pattern") is not None
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert "url(#b-1-hatch)" in fills
    assert chart.table.rows[1][2] == "<5"


def test_p_chart_marks_signals_with_a_shape_and_lists_them():
    counts = [2, 3, 2, 3, 2, 30, 2]
    sizes = [100] * 7
    chart = p_chart(counts, sizes, labels=[f"T{i}" for i in range(7)], rules=RuleSet(rules=(1,)))
    out = charts.p_chart_svg(chart, chart_id="p", title="p", description="", value_name="Tỷ lệ")
    root = parse_svg(out)
    flagged = [i for i in range(7) if chart.rules_at(i)]
    assert flagged == [5]
    diamonds = [p for p in root.iter(f"{SVG}polygon") if p.get("fill") == charts.SIGNAL]
    assert len(diamonds) == len(flagged) + 1  # + the legend's diamond
    assert out.table.rows[5][-1] == "1"
    assert out.table.rows[0][-1] == "—"
    assert out.table.headers[2:4] == ("Số hồ sơ (n)", "Số quá hạn")
    assert out.signals and "T5: quy tắc 1" in out.signals[0]
    assert "Có 1 tín hiệu" in out.description


def test_xmr_chart_table_carries_moving_ranges():
    chart = xmr_chart([3.0, 3.5, 2.5, 3.0], labels=["a", "b", "c", "d"], floor=0)
    out = charts.xmr_chart_svg(
        chart, chart_id="x", title="X", description="", value_name="Ngày", unit="ngày"
    )
    parse_svg(out)
    assert [r[2] for r in out.table.rows] == ["—", "0,5", "1", "0,5"]
    assert "Không có tín hiệu" in out.description


def test_nice_ticks_cover_the_range():
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    ticks = charts.nice_ticks(3.2, 7.9)
    assert ticks[0] <= 3.2 and ticks[-1] >= 7.9
    assert charts.nice_ticks(5, 5)[0] <= 5
