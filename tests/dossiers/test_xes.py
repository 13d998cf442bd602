"""XES logs (`govqms import-log`): streamed, every case a dossier and every event stored, the
log's own calendar, a re-import lands nothing."""

import datetime as dt
import gzip
import io
import re
import time
import tracemalloc

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govqms.dossiers import xes
from govqms.dossiers.models import Dossier, DossierEvent
from govqms.procedures.models import ProcedureVersion
from govqms.workdays.models import HolidayCalendar

from ..conftest import make_unit

MAPPINGS = xes.Path(__file__).resolve().parents[2] / "docs" / "mappings"


@pytest.fixture
def municipality(tree):
    return make_unit("NL-M", "Gemeente (event log)", "department", tree["hanoi"])


def _import(path, *args):
    out = io.StringIO()
    try:
        call_command("import_log", str(path), *args, "--no-progress", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_wabo_receipt_log_lands_whole_and_once(shared_data, municipality):
    path = shared_data / "eventlogs" / "WABO_receipt_phase.xes.gz"
    cases, events = xes.log_counts(path)
    assert (cases, events) == (1_434, 8_577)  # data/README.md
    args = ("--org", "NL-M", "--mapping", str(MAPPINGS / "wabo_receipt.yaml"))
    code, out = _import(path, *args)
    assert code == 0, out
    assert f"Cases: {cases} (0 without events); events read: {events}" in out
    assert Dossier.objects.filter(source="wabo-receipt").count() == cases
    assert DossierEvent.objects.filter(source="wabo-receipt").count() == events
    version = ProcedureVersion.objects.get(procedure__code="NL-WABO-RECEIPT")
    assert version.status == "active" and version.unit == municipality
    # The case's own deadline is its due date; the Dutch calendar was seeded for the log's years.
    d = Dossier.objects.get(code="WABO-case-10011")
    assert d.due_at == dt.datetime.fromisoformat("2011-12-06T13:41:31.788+01:00")
    assert d.channel == "online"
    assert d.events.get(seq=1).data["calendar"] == "NL"
    # Every dossier of the log is judged by the mapping's calendar, stored on its row.
    calendars = Dossier.objects.filter(source="wabo-receipt").values_list("calendar_code")
    assert set(calendars.distinct()) == {("NL",)}
    nl = HolidayCalendar.objects.get(code="NL")
    assert nl.first_year <= 2010 and nl.last_year >= 2012
    # Again: nothing new.
    code, out = _import(path, *args)
    assert code == 0 and f"0 accepted (0 kept as notes), {events} duplicated" in out
    assert DossierEvent.objects.filter(source="wabo-receipt").count() == events
    assert Dossier.objects.filter(source="wabo-receipt").count() == cases


def test_bpic15_log_lands_whole(shared_data, municipality):
    path = shared_data / "eventlogs" / "BPIC15_1.xes.gz"
    cases, events = xes.log_counts(path)
    assert (cases, events) == (1_199, 52_217)
    started = time.perf_counter()
    code, out = _import(
        path, "--org", "NL-M", "--mapping", str(MAPPINGS / "bpic15.yaml"), "--source", "bpic15-1"
    )
    seconds = time.perf_counter() - started
    assert code == 0, out
    print(f"BPIC15_1: {events} events in {seconds:.1f} s = {events / seconds:,.0f} events/s")
    assert Dossier.objects.filter(source="bpic15-1").count() == cases
    assert DossierEvent.objects.filter(source="bpic15-1").count() == events
    assert Dossier.objects.filter(source="bpic15-1", status="returned").exists()
    assert Dossier.objects.filter(source="bpic15-1", code__startswith="bpic15-1-").count() == cases


SMALL_XES = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>
  <string key="concept:name" value="small"/>
  <trace>
    <string key="concept:name" value="c1"/>
    <date key="deadline" value="2026-03-20T16:30:00+07:00"/>
    <string key="channel" value="web"/>
    <list key="tags"><values><string key="t" value="x"/></values></list>
    <event>
      <string key="concept:name" value="Nhận hồ sơ"/>
      <date key="time:timestamp" value="2026-03-03T09:00:00"/>
      <string key="org:resource" value="desk1"/>
    </event>
    <event>
      <string key="concept:name" value="Thẩm định"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2026-03-03T10:00:00"/>
    </event>
    <event>
      <string key="concept:name" value="Thẩm định"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2026-03-03T15:00:00"/>
      <int key="pages" value="12"/>
      <boolean key="ok" value="true"/>
    </event>
    <event>
      <string key="concept:name" value="Gọi điện"/>
      <date key="time:timestamp" value="2026-03-03T15:30:00"/>
    </event>
    <event>
      <string key="concept:name" value="Trả kết quả"/>
      <date key="time:timestamp" value="2026-03-04T09:00:00"/>
    </event>
  </trace>
  <trace><string key="concept:name" value="c2"/></trace>
</log>
"""


def test_mapping_drives_kinds_steps_and_due_dates(version, tmp_path, tree):
    path = tmp_path / "small.xes"
    path.write_text(SMALL_XES, encoding="utf-8")
    cases = list(xes.iter_cases(path, tz="Asia/Ho_Chi_Minh"))
    assert [c.case_id for c in cases] == ["c1", "c2"] and len(cases[0].events) == 5
    assert cases[0].events[0].timestamp.utcoffset() == dt.timedelta(hours=7)
    assert cases[0].attributes["tags"] == [[None, None], ["t", "x"]]
    assert cases[0].events[2].attributes["pages"] == 12
    mapping = xes.mapping_from_dict(
        {
            "procedure": {"code": "1.001193", "limit": "1wd"},
            "calendar": "VN",
            "timezone": "Asia/Ho_Chi_Minh",
            "case": {"dossier_code": "X-{case}", "channel": {"attribute": "channel",
                     "map": {"web": "online"}}},
            "due_date": {"from": "case_attribute", "attribute": "deadline"},
            "activities": {"Thẩm định": "XL", "Trả kết quả": {"kind": "finished"}},
            "unmapped": "ignore",
        }
    )  # fmt: skip
    result = xes.log_import(actor=None, path=path, org=tree["ward_a"], mapping=mapping)
    assert (result.cases, result.events_read, result.cases_without_events) == (2, 5, 1)
    assert result.ignored == 1 and not result.procedure_created  # the ward's version governs
    assert (result.totals.accepted, result.totals.rejected) == (4, 0), result.errors
    d = Dossier.objects.get(code="X-c1")
    assert d.channel == "online" and d.status == "finished"
    assert d.due_at == dt.datetime.fromisoformat("2026-03-20T16:30:00+07:00")
    kinds = list(d.events.order_by("seq").values_list("kind", "step"))
    assert kinds == [
        ("received", ""), ("step_started", "XL"), ("step_finished", "XL"), ("finished", ""),
    ]  # fmt: skip
    assert d.events.get(seq=3).data["pages"] == 12
    assert d.events.get(seq=1).data["case"]["channel"] == "web"
    assert d.step_records.get().working_seconds == 4 * 3600  # 10:00-15:00 less lunch


@pytest.mark.parametrize(
    "data, message",
    [
        ({"procedure": {"code": "P"}}, "procedure.limit"),
        ({"procedure": {"code": "P", "limit": "2 weeks"}}, "procedure.limit"),
        ({"procedure": {"limit": "5wd"}, "colour": "red"}, "unknown key(s): colour"),
        ({"procedure": {"limit": "5wd"}, "unmapped": "drop"}, "unmapped: one of"),
        ({"procedure": {"limit": "5wd"}, "case": {"dossier_code": "X"}}, "{case}"),
        ({"procedure": {"limit": "5wd"}, "case": {"channel": "fax"}}, "case.channel"),
        ({"procedure": {"limit": "5wd"}, "activities": {"A": {"kind": "x"}}}, "activities.A"),
        ({"procedure": {"limit": "5wd"}, "due_date": {"from": "case_attribute"}}, "attribute"),
        ({"procedure": {"limit": "5wd"}, "timezone": "Mars/Olympus"}, "timezone"),
        ({"procedure": {"limit": "5wd"}, "calendar": "XX"}, "calendar"),
    ],
)
def test_bad_mappings_name_the_key(data, message):
    with pytest.raises(xes.MappingError, match=re.escape(message)):
        xes.mapping_from_dict(data)


def test_shipped_mappings_load():
    for name in ("bpic15.yaml", "wabo_receipt.yaml", "road_traffic.yaml"):
        mapping = xes.mapping_load(MAPPINGS / name)
        assert mapping.procedure_code and mapping.limit


def test_reading_is_streamed_memory_stays_flat(tmp_path):
    path = tmp_path / "big.xes.gz"
    event = (
        '<event><string key="concept:name" value="step {n}"/>'
        '<date key="time:timestamp" value="2026-03-03T09:00:00+07:00"/>'
        '<string key="org:resource" value="someone with a long name"/></event>'
    )
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write('<?xml version="1.0"?><log xmlns="http://www.xes-standard.org/">')
        for i in range(20_000):
            events = "".join(event.format(n=n) for n in range(5))
            out.write(f'<trace><string key="concept:name" value="c{i}"/>{events}</trace>')
        out.write("</log>")
    tracemalloc.start()
    cases = events = 0
    for case in xes.iter_cases(path):
        cases += 1
        events += len(case.events)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (cases, events) == (20_000, 100_000)
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: traces are not released"


def test_unreadable_logs_and_mappings_exit_2(db, tmp_path, municipality):
    bad = tmp_path / "bad.xes"
    bad.write_text("<log><trace>", encoding="utf-8")
    code, _out = _import(bad, "--org", "NL-M", "--mapping", str(MAPPINGS / "bpic15.yaml"))
    assert code == 2
    mapping = tmp_path / "m.yaml"
    mapping.write_text("procedure: [1, 2]\n", encoding="utf-8")
    assert _import(bad, "--org", "NL-M", "--mapping", str(mapping))[0] == 2
    assert _import(bad, "--org", "NOPE", "--mapping", str(MAPPINGS / "bpic15.yaml"))[0] == 2
