"""XES logs (`govqms import-log`): streamed, every case a dossier and every event stored, the
log's own calendar, a re-import lands nothing."""

import datetime as dt
import gzip
import io
import time

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
