"""CSV and Excel import (`govqms import-events`): the ingest guarantees, errors by line."""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govqms.dossiers.models import Dossier, DossierEvent
from govqms.dossiers.tabular import table_import

HEADER = (
    "source_id,dossier_code,procedure,receiving_unit,channel,kind,occurred_at,step,reason,"
    "data.so_bien_nhan"
)
CSV_ROWS = [
    "r1,HS-1,1.001193,00070,counter,received,2026-03-03T09:00:00+07:00,,,BN-1",
    'r2,HS-1,,,,step_started,2026-03-03T09:30:00+07:00,XL,"Thẩm định,\nhai dòng",',  # 2 lines
    "r3,HS-1,,,,step_finished,2026-03-03 10:00:00,XL,,",  # naive
    "r4,HS-1,,,,approved,2026-03-03T10:30:00+07:00,,,",  # unknown kind
    "r5,HS-2,1.001193,99999,counter,received,2026-03-03T09:00:00+07:00,,,",  # unknown unit
    "r6,HS-1,,,,finished,2026-03-03T11:00:00+07:00,,,",
    "",
    "r7,HS-1,,,,returned,2026-03-03T10:45:00+07:00,,,",  # before finished
]


def _write_csv(tmp_path, rows, name="events.csv", bom=True):
    path = tmp_path / name
    text = "\n".join([HEADER, *rows]) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def _run(*args):
    out = io.StringIO()
    try:
        call_command("import_events", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def test_csv_rows_land_and_bad_rows_are_named_by_line(version, tmp_path):
    path = _write_csv(tmp_path, CSV_ROWS)
    code, out, err = _run(str(path), "--source", "csv-desk")
    assert code == 1 and "4 row(s) rejected" in err
    assert "7 rows — 3 accepted, 0 duplicated, 4 rejected" in out
    lines = [line for line in out.splitlines() if line.startswith("line ")]
    assert lines[0].startswith("line 5, field occurred_at: '2026-03-03 10:00:00'")
    assert lines[1].startswith("line 6, field kind:") and "'approved'" in lines[1]
    assert lines[2].startswith("line 7, field receiving_unit:") and "99999" in lines[2]
    assert lines[3].startswith("line 10, field kind:") and "'returned'" in lines[3]
    d = Dossier.objects.get(code="HS-1")
    assert d.status == "finished" and d.event_count == 3
    step = d.events.get(source_id="r2")
    assert step.reason == "Thẩm định,\nhai dòng"
    assert d.events.get(source_id="r1").data == {"so_bien_nhan": "BN-1"}
    # Rerun: nothing new lands, the same rows are named again.
    code, out, _err = _run(str(path), "--source", "csv-desk", "--json")
    body = json.loads(out)
    assert code == 1 and (body["accepted"], body["duplicated"], body["rejected"]) == (0, 3, 4)
    assert [e["line"] for e in body["errors"]] == [5, 6, 7, 10]
    assert DossierEvent.objects.count() == 3


def test_line_numbers_survive_chunking(version, tmp_path):
    path = _write_csv(tmp_path, CSV_ROWS, bom=False)
    result = table_import(actor=None, path=path, source="chunks", chunk_size=2)
    assert result.chunks == 4
    assert [e.line for e in result.errors] == [5, 6, 7, 10]
    assert result.totals.accepted == 3


def excel_time(hour):
    """Excel cells have no time zone: a naive local time, as a clerk types it."""
    return dt.datetime(2026, 3, 3, hour, 0, tzinfo=dt.UTC).replace(tzinfo=None)


def test_xlsx_with_local_times(version, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    opened = ["1.001193", "00070", "counter"]
    sheet.append(["x1", "HS-X", *opened, "received", excel_time(9), None, None, 12345])
    sheet.append(["x2", "HS-X", None, None, None, "finished", excel_time(11)])
    sheet.append(["x3", "HS-X", None, None, None, "teleported", excel_time(12)])
    path = tmp_path / "events.xlsx"
    book.save(path)
    code, out, _err = _run(str(path), "--source", "excel", "--timezone", "Asia/Ho_Chi_Minh")
    assert code == 1
    assert "3 rows — 2 accepted" in out
    assert "line 4, field kind: Không có loại sự kiện 'teleported'" in out
    d = Dossier.objects.get(code="HS-X")
    assert d.received_at == dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
    assert d.events.get(source_id="x1").data == {"so_bien_nhan": "12345"}
    # Without --timezone the Excel times have no offset: every row is rejected, by line.
    code, out, _err = _run(str(path), "--source", "excel-2")
    assert code == 1 and "line 2, field occurred_at:" in out


@pytest.mark.parametrize(
    "content, message",
    [
        (b"source_id,colour\n1,red\n", "unknown column(s) 'colour'"),
        (b"dossier_code,kind\nHS,note\n", "no source_id column"),
        (HEADER.encode() + b"\nr1,HS-\xe9\n", "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_exit_2_and_land_nothing(db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, _out, err = _run(str(path), "--source", "bad")
    assert code == 2 and message in err
    assert DossierEvent.objects.count() == 0


def test_missing_and_unsupported_files_exit_2(db, tmp_path):
    assert _run(str(tmp_path / "nope.csv"), "--source", "s")[0] == 2
    (tmp_path / "events.json").write_text("[]")
    code, _out, err = _run(str(tmp_path / "events.json"), "--source", "s")
    assert code == 2 and "unsupported file type" in err
    (tmp_path / "fake.xlsx").write_text("not a zip")
    code, _out, err = _run(str(tmp_path / "fake.xlsx"), "--source", "s")
    assert code == 2 and "not an Excel workbook" in err
