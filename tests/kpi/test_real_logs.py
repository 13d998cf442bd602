"""Indicators on a real log against an independent computation (issue 4).

The WABO receipt-phase log (CoSeLoG, Buijs 2014; ../shared/data/eventlogs) goes in through the
real path (`govqms import-log` with docs/mappings/wabo_receipt.yaml); the figures then come from
`kpi.selectors.indicator_report` over the whole span of the log at the importing org's subtree.
The same figures are computed a second time straight from the XES file with the standard library
only (gzip + ElementTree; the mapping YAML is read for its rules, `holidays` gives the Dutch
public holidays) and must agree: counts exactly, shares to 1e-9, the mean processing time to
1e-6 working days.

What counts as *finished*. The importer makes a dossier finished only through an event of kind
`finished`, i.e. an activity the mapping maps to `{kind: finished}` (`dossiers.xes`); every other
activity of this mapping becomes a step (`unmapped: step`) and a step never finishes a dossier.
The shipped mapping maps none (`activities: {}`: the receipt phase ends before any decision), so
on it nothing is finished and every case is still open — the first test checks exactly that,
with the open-dossier snapshot at a fixed instant. The second test imports the same log with
the shipped mapping plus one rule, "T10 Determine necessity to stop indication" (the receipt
phase's last task) → `finished`, written to a temporary file, so that early / on time / late and
the processing time are exercised on real timestamps and deadlines: a case is finished at its
first T10 after the receipt (time order, ties in file order — as the importer sorts); a later T10
or any later event would be refused by the lifecycle and kept as a note (`lifecycle_violations:
note`), which changes nothing. The mean processing time is compared with an independent
day-by-day walk over the NL holidays and the NL working hours (09:00-17:00).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
import yaml
from django.core.management import call_command

from govqms.kpi.selectors import Figure, indicator_report
from govqms.procedures.models import ProcedureVersion

from ..conftest import make_unit

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "docs" / "mappings" / "wabo_receipt.yaml"
LOG = "eventlogs/WABO_receipt_phase.xes.gz"
FINISH_ACTIVITY = "T10 Determine necessity to stop indication"
#: An instant inside the log's span for the open-dossier snapshot (so that some cases are
#: overdue, some not yet).
SNAPSHOT_NOW = dt.datetime(2011, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
#: Office hours of a country calendar without its own (`workdays.seed.calendar_for_country`:
#: GENERIC_SESSIONS, Monday-Friday 09:00-17:00), and one working day = 8 working hours.
OFFICE_NL = ((dt.time(9, 0), dt.time(17, 0)),)
#: Vietnamese state agencies' hours (`workdays.calendar.VN_DEFAULT_SESSIONS`), written out here:
#: only to show, in a failure message, which hours GovQMS actually used.
OFFICE_VN = ((dt.time(7, 30), dt.time(12, 0)), (dt.time(13, 0), dt.time(16, 30)))
WORKING_DAY = dt.timedelta(hours=8)


# --- The independent side: the XES file, the standard library, `holidays` ---------------------

XES = "{http://www.xes-standard.org/}"


@dataclass(frozen=True)
class Case:
    case_id: str
    attributes: dict[str, str]
    events: list[tuple[dt.datetime, int, str]]  # (timestamp, position in the trace, activity)


@cache
def read_log(path: Path) -> tuple[Case, ...]:
    cases = []
    with gzip.open(path, "rb") as stream:
        for _, element in ET.iterparse(stream, events=("end",)):  # noqa: S314 (reference file)
            if element.tag != XES + "trace":
                continue
            attributes = {c.get("key"): c.get("value") for c in element if c.tag != XES + "event"}
            events = []
            for index, event in enumerate(element.iter(XES + "event")):
                values = {c.get("key"): c.get("value") for c in event}
                at = dt.datetime.fromisoformat(values["time:timestamp"])
                events.append((at, index, values.get("concept:name", "")))
            cases.append(Case(attributes["concept:name"], attributes, events))
            element.clear()
    return tuple(cases)


def working_time(
    a: dt.datetime, b: dt.datetime, tz: ZoneInfo, days_off, sessions=OFFICE_NL
) -> dt.timedelta:
    """Working time in [a, b): the `sessions` (local) of Monday-Friday, minus `days_off`,
    walked day by day."""
    total = dt.timedelta(0)
    day = a.astimezone(tz).date()
    last = b.astimezone(tz).date()
    while day <= last:
        if day.weekday() < 5 and day not in days_off:
            for opens, closes in sessions:
                lo = max(dt.datetime.combine(day, opens, tzinfo=tz), a)
                hi = min(dt.datetime.combine(day, closes, tzinfo=tz), b)
                if hi > lo:
                    total += hi - lo
        day += dt.timedelta(days=1)
    return total


@dataclass
class Expected:
    received: int = 0
    received_online: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    processing_seconds: int = 0
    processing_seconds_vn_hours: int = 0
    open_overdue: int = 0
    open_not_overdue: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def expected_figures(path: Path, mapping: dict) -> Expected:
    """The figures of the log under `mapping`."""
    tz = ZoneInfo(mapping["timezone"])
    received_activities = {mapping["received"]}
    finishing = {
        activity
        for activity, rule in (mapping.get("activities") or {}).items()
        if isinstance(rule, dict) and rule.get("kind") == "finished"
    }
    channel = mapping["case"]["channel"]
    deadline_key = mapping["due_date"]["attribute"]
    cases = read_log(path)
    stamps = [at for case in cases for at, _, _ in case.events]
    years = range(min(stamps).year - 1, max(stamps).year + 2)
    days_off = set(holidays.country_holidays(mapping["calendar"], years=years))
    out = Expected(
        first_day=min(stamps).astimezone(dt.UTC).date() - dt.timedelta(days=1),
        last_day=max(stamps).astimezone(dt.UTC).date() + dt.timedelta(days=1),
    )
    for case in cases:
        ordered = sorted(case.events, key=lambda e: (e[0].timestamp(), e[1]))
        receipt = next(at for at, _, act in ordered if act in received_activities)
        out.received += 1
        kind = channel["map"].get(case.attributes.get(channel["attribute"]), channel["default"])
        out.received_online += kind == "online"
        due = dt.datetime.fromisoformat(case.attributes[deadline_key])
        finish = next(
            (at for at, _, act in ordered if act in finishing and at >= receipt),
            None,
        )
        if finish is None:
            if due < SNAPSHOT_NOW:
                out.open_overdue += 1
            else:
                out.open_not_overdue += 1
            continue
        out.finished += 1
        if finish > due:
            klass = "late"
        elif finish.astimezone(tz).date() < due.astimezone(tz).date():
            klass = "early"
        else:
            klass = "on_time"
        setattr(out, klass, getattr(out, klass) + 1)
        second = dt.timedelta(seconds=1)  # stored per dossier in whole seconds (floor)
        out.processing_seconds += working_time(receipt, finish, tz, days_off) // second
        vn_hours = working_time(receipt, finish, tz, days_off, OFFICE_VN)
        out.processing_seconds_vn_hours += vn_hours // second
    return out


# --- The GovQMS side --------------------------------------------------------------------------


@pytest.fixture
def municipality(tree):
    return make_unit("NL-M", "Gemeente (event log)", "department", tree["hanoi"])


def _import(log: Path, mapping: Path) -> None:
    out = io.StringIO()
    call_command(
        "import_log",
        str(log),
        "--org",
        "NL-M",
        "--mapping",
        str(mapping),
        "--no-progress",
        stdout=out,
    )  # fmt: skip  -- a rejected event raises CommandError (exit code 1)
    assert "Cases: 1434 (0 without events); events read: 8577" in out.getvalue(), out.getvalue()


def _report(unit, expected: Expected) -> tuple[dict, dict]:
    figure = Figure(unit, True, None, expected.first_day, expected.last_day, SNAPSHOT_NOW)
    report = indicator_report(figure=figure)
    return report["counts"], {row["code"]: row for row in report["indicators"]}


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator * 100 if denominator else None


def _assert_share(row: dict, numerator: int, denominator: int) -> None:
    assert (row["numerator"], row["denominator"]) == (numerator, denominator), row
    expected = _share(numerator, denominator)
    if expected is None:
        assert row["value"] is None, row
    else:
        assert math.isclose(row["value"], expected, rel_tol=0, abs_tol=1e-9), row


def _assert_common(counts: dict, rows: dict, expected: Expected) -> None:
    assert counts["received"] == expected.received
    assert counts["received_online"] == expected.received_online
    _assert_share(rows["SHARE_ONLINE"], expected.received_online, expected.received)
    assert counts["finished"] == expected.finished
    finished_classes = (counts["finished_early"], counts["finished_on_time"])
    assert finished_classes == (expected.early, expected.on_time)
    assert counts["finished_late"] == expected.late
    judged = expected.early + expected.on_time + expected.late
    _assert_share(rows["SHARE_FINISHED_ON_TIME"], expected.early + expected.on_time, judged)
    _assert_share(rows["SHARE_FINISHED_LATE"], expected.late, judged)


def test_wabo_receipt_log_as_shipped_matches_the_file(shared_data, municipality):
    log = shared_data / LOG
    mapping = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    expected = expected_figures(log, mapping)
    # The file as documented (docs/ingestion.md): 1,434 cases, Internet + e-mail = online.
    assert (expected.received, expected.received_online, expected.finished) == (1_434, 1_271, 0)
    _import(log, MAPPING)
    counts, rows = _report(municipality, expected)
    _assert_common(counts, rows, expected)
    # Nothing finished: no mean processing time (a None, not a 0), and every case still open,
    # overdue at SNAPSHOT_NOW exactly when its deadline has passed.
    avg = rows["AVG_PROCESSING_DAYS"]
    assert (avg["denominator"], avg["value"]) == (0, None), avg
    assert counts["open_overdue"] == expected.open_overdue
    not_overdue = counts["open_within_limit"] + counts["open_due_soon"]
    assert not_overdue == expected.open_not_overdue
    assert 0 < expected.open_overdue < expected.received  # the instant splits the log
    backlog = rows["BACKLOG"]["value"]
    assert backlog == expected.open_overdue + expected.open_not_overdue == expected.received


def _import_t10(log: Path, tmp_path: Path) -> tuple[dict, Path]:
    """The shipped mapping plus `FINISH_ACTIVITY` -> finished, in a temporary file."""
    mapping = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    mapping["activities"] = {FINISH_ACTIVITY: {"kind": "finished"}}
    variant = tmp_path / "wabo_receipt_t10.yaml"
    variant.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    _import(log, variant)
    return mapping, variant


def test_wabo_receipt_log_finished_at_t10_matches_the_file(shared_data, municipality, tmp_path):
    log = shared_data / LOG
    mapping, _ = _import_t10(log, tmp_path)
    expected = expected_figures(log, mapping)
    # Enough of every class for a swap of any two to show (early 1,224, on time 1, late 58).
    assert (expected.early, expected.on_time, expected.late) == (1_224, 1, 58)
    assert expected.finished == expected.early + expected.on_time + expected.late == 1_283
    version = ProcedureVersion.objects.get(procedure__code=mapping["procedure"]["code"])
    assert version.unit == municipality
    counts, rows = _report(municipality, expected)
    _assert_common(counts, rows, expected)
    # Mean processing time: its denominator is exact here; its value is checked below.
    assert rows["AVG_PROCESSING_DAYS"]["denominator"] == expected.finished


def test_wabo_receipt_log_mean_processing_days_matches_the_file(
    shared_data, municipality, tmp_path
):
    log = shared_data / LOG
    mapping, _ = _import_t10(log, tmp_path)
    expected = expected_figures(log, mapping)
    counts, rows = _report(municipality, expected)
    avg = rows["AVG_PROCESSING_DAYS"]
    day = WORKING_DAY.total_seconds()
    mean = expected.processing_seconds / day / expected.finished
    mean_vn_hours = expected.processing_seconds_vn_hours / day / expected.finished
    detail = (
        f"GovQMS: Σ {counts['processing_seconds']} s, mean {avg['value']!r} days; "
        f"file, NL hours 09:00-17:00: Σ {expected.processing_seconds} s, mean {mean!r}; "
        f"file, VN hours 07:30-12:00 + 13:00-16:30: Σ {expected.processing_seconds_vn_hours} s, "
        f"mean {mean_vn_hours!r}"
    )
    assert avg["denominator"] == expected.finished, detail
    assert counts["processing_seconds"] == expected.processing_seconds, detail
    assert math.isclose(avg["value"], mean, rel_tol=0, abs_tol=1e-6), detail
