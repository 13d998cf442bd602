"""Reading tthc.csv: limits, channels, documents; the real import and its counts."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from govqms.core.models import AuditEntry
from govqms.procedures.catalogue import (
    COLUMNS,
    parse_channels,
    parse_documents,
    parse_limit,
)
from govqms.procedures.models import LimitUnit, Procedure


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1", "", (Decimal(1), "", "1")),
        ("7", "Ngày làm việc", (Decimal(7), "working_days", "7 Ngày làm việc")),
        ("20", "Ngày", (Decimal(20), "calendar_days", "20 Ngày")),
        ("1", "Giờ", (Decimal(1), "working_hours", "1 Giờ")),
        ("3", "Tháng", (Decimal(3), "months", "3 Tháng")),
        ("", "", (None, "", "")),
        (
            "15 (Trực tiếp); 20 (Trực tuyến, Dịch vụ bưu chính)",
            "Ngày",
            (
                Decimal(15),
                "calendar_days",
                "15 (Trực tiếp); 20 (Trực tuyến, Dịch vụ bưu chính) Ngày",
            ),
        ),
        # The counter value is not always first, and segments may carry their own unit.
        ("1 (Trực tuyến); 3 (Trực tiếp)", "Ngày làm việc", (Decimal(3), "working_days", None)),
        (
            "6 Ngày làm việc (Trực tiếp); 40 Ngày (Trực tuyến)",
            "",
            (Decimal(6), "working_days", None),
        ),
        ("2 Giờ (Trực tiếp); 2 (Trực tuyến)", "", (Decimal(2), "working_hours", None)),
        # The counter segment shows no unit, the other one does: the counter's unit is unknown.
        (
            "1 (Trực tiếp, Dịch vụ bưu chính); 3 Ngày làm việc (Trực tuyến)",
            "",
            (Decimal(1), "", None),
        ),
        # No counter segment at all: the first one.
        ("7 (Trực tuyến); 2 (Trực tuyến)", "Ngày làm việc", (Decimal(7), "working_days", None)),
    ],
)
def test_parse_limit(text, unit, expected):
    value, limit_unit, full = parse_limit(text, unit)
    assert (value, limit_unit) == expected[:2]
    assert full == (expected[2] if expected[2] is not None else f"{text} {unit}".strip())


@pytest.mark.parametrize("text", ["abc", "5 (Fax)", "5 Tuần"])
def test_parse_limit_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        parse_limit(text, "")


def test_channels_and_documents():
    assert parse_channels("Kênh nộp: Trực tuyến; Trực tiếp; Dịch vụ bưu chính") == [
        "online",
        "counter",
        "postal",
    ]
    assert parse_channels("") == []
    docs = parse_documents(
        "Tờ khai [1 bản chính] | Giấy chứng sinh [0 bản chính,1 bản sao] | "
        "…(+5 mục nữa, xem tthc_raw.jsonl)"
    )
    assert docs[0] == {"name": "Tờ khai", "copies": "1 bản chính"}
    assert docs[1] == {"name": "Giấy chứng sinh", "copies": "0 bản chính,1 bản sao"}
    assert docs[2]["more"] == 5


@pytest.mark.shared_data
@pytest.mark.django_db
def test_import_the_real_catalogue(shared_data):
    path = shared_data / "vn" / "tthc.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = io.StringIO()
    call_command("import_procedures", str(path), stdout=out)
    text = out.getvalue()
    assert f"Read {len(rows)} rows" in text
    assert Procedure.objects.count() == len(rows) == 1601
    assert f"{len(rows)} created, 0 updated, 0 unchanged" in text

    birth = Procedure.objects.get(code="1.001193")
    assert birth.limit_value == 1
    assert birth.limit_unit == LimitUnit.UNKNOWN and not birth.limit_known
    assert birth.get_limit_unit_display() == "Chưa rõ"
    assert birth.channels == ["online", "counter", "postal"]
    assert birth.online_level == ""
    assert birth.levels == ["Cấp xã"]
    assert "60/2014/QH13" in birth.legal_basis
    assert birth.documents[0]["copies"] == "1 bản chính"

    residence = Procedure.objects.get(code="1.004222")  # Đăng ký thường trú: 7 Ngày làm việc
    assert (residence.limit_value, residence.limit_unit) == (7, LimitUnit.WORKING_DAYS)
    permit = Procedure.objects.get(code="1.013225")  # 15 (Trực tiếp); 20 (…) Ngày
    assert (permit.limit_value, permit.limit_unit) == (15, LimitUnit.CALENDAR_DAYS)
    assert permit.limit_text.startswith("15 (Trực tiếp); 20 (Trực tuyến")

    # Unknown stays unknown: values without a unit, and rows without a limit, are counted.
    no_limit = sum(1 for r in rows if not r["time_limit"])
    assert Procedure.objects.filter(limit_value__isnull=True).count() == no_limit == 94
    unknown = Procedure.objects.filter(limit_value__isnull=False, limit_unit="").count()
    assert f"{unknown} with a value but no unit" in text and f"{no_limit} without a limit" in text
    assert 240 < unknown <= 276  # 276 rows lack time_unit; some carry the unit in the text
    assert max(len(p.name) for p in Procedure.objects.only("name")) > 1000

    audits = AuditEntry.objects.filter(object_type="procedures.procedure").count()
    out = io.StringIO()
    call_command("import_procedures", str(path), stdout=out)
    assert f"0 created, 0 updated, {len(rows)} unchanged" in out.getvalue()
    assert AuditEntry.objects.filter(object_type="procedures.procedure").count() == audits


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _row(code, name="Thủ tục thử", limit="5", unit="Ngày làm việc"):
    return [code, name, "Hộ tịch", "Cấp xã", limit, unit, "", "Kênh nộp: Trực tiếp", "", "", "src"]


@pytest.mark.django_db
def test_bad_rows_are_named_by_line_and_field_and_the_rest_lands(tmp_path):
    path = tmp_path / "tthc.csv"
    _write(path, [_row("9.000001"), _row("9.000002", name=""), _row("9.000003", unit="Tuần")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 bad rows"):
        call_command("import_procedures", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 3, field 'name': empty" in err.getvalue()
    assert "line 4, field 'time_unit'" in err.getvalue()
    assert list(Procedure.objects.values_list("code", flat=True)) == ["9.000001"]


@pytest.mark.django_db
def test_a_bad_header_writes_nothing_and_limit_counts_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n1.1,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 1, field 'sector': missing column"):
        call_command("import_procedures", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_procedures", str(tmp_path / "missing.csv"))
    good = tmp_path / "good.csv"
    _write(good, [_row("9.000001"), _row("9.000002")])
    out = io.StringIO()
    call_command("import_procedures", str(good), "--limit", "1", stdout=out)
    assert "Read 1 rows" in out.getvalue()
    assert Procedure.objects.count() == 1
