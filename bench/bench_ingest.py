"""Bulk ingestion: `dossiers.ingest.events_ingest` against a bare COPY of the same rows.

`run(n)` streams n synthetic, realistic dossier events through `events_ingest` in batches of
10,000, the way a connector sends them: in time order across many open dossiers (each dossier:
receipt, three steps with start and finish, a supplement pause in one case out of ten, finish,
return; ~10 events over a few days, arrivals every 3 minutes at 10 wards), so most batches
both open dossiers and continue ones stored by earlier batches (which are replayed). Each batch
is validated, de-duplicated, replayed with the due dates and step durations derived, written
(events, dossiers, step records) and audited, in one transaction.

The baseline is the floor any loader pays: the same event rows COPYed (psycopg
`cursor.copy`) into a scratch table with no index or constraint (on SQLite, where there is no
COPY: one executemany). `ratio` = ingest time / baseline time (how many times the bare copy).
Timings exclude generating the records; each repeat uses a fresh source and is deleted after
(so every repeat starts from the same table sizes). `peak_rss_mb` is the process's maximum
resident set size (resource.getrusage), which stays flat as n grows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/govqms_bench \\
        .venv/bin/python -m bench ingest          # or: python -m bench.bench_ingest 50000
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import random
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

QUICK = {"n": 20_000, "repeats": 3}
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WARDS = 10
PROCEDURE = "BENCH.0001"


def _setup():
    """A province with WARDS wards and one active version at the province (idempotent)."""
    from govqms.org.models import OrgUnit
    from govqms.org.services import unit_create
    from govqms.procedures import services as procedures
    from govqms.procedures.models import Procedure, ProcedureVersion
    from govqms.procedures.specs import StepSpec

    province = OrgUnit.objects.current().filter(code="BENCH").first()
    if province is None:
        province = unit_create(actor=None, code="BENCH", name="Tỉnh (benchmark)", kind="province")
    for i in range(1, WARDS + 1):
        code = f"BENCH-W{i:02d}"
        if not OrgUnit.objects.current().filter(code=code).exists():
            unit_create(actor=None, code=code, name=f"Phường {i}", kind="ward", parent=province)
    if not ProcedureVersion.objects.active().filter(procedure__code=PROCEDURE).exists():
        procedure = Procedure.objects.filter(code=PROCEDURE).first()
        if procedure is None:
            procedure, _ = procedures.procedure_upsert(
                actor=None,
                code=PROCEDURE,
                name="Thủ tục (benchmark)",
                limit_value=Decimal(3),
                limit_unit="working_days",
            )
        steps = [
            StepSpec("TN", "Tiếp nhận", "desk_officer", Decimal(2), where="receiving"),
            StepSpec("XL", "Thẩm định", "case_handler", Decimal(18)),
            StepSpec("KY", "Ký duyệt", "unit_leader", Decimal(4)),
        ]
        draft = procedures.version_create_draft(
            actor=None,
            procedure=procedure,
            unit=province,
            limit_unit="working_days",
            limit_hours=Decimal(24),
            steps=steps,
        )
        procedures.version_activate(actor=None, version=draft)


def _dossier_events(i: int, start: dt.datetime, run_id: str, rng: random.Random) -> list:
    """(instant, n, record) of one dossier: a realistic path through the lifecycle."""
    code = f"B{run_id}-{i:07d}"
    ward = f"BENCH-W{rng.randrange(WARDS) + 1:02d}"
    minutes = dt.timedelta(minutes=1)
    path = [("received", "", 0)]
    t = 5
    for step, work in (("TN", (10, 30)), ("XL", (120, 2880)), ("KY", (30, 600))):
        path.append(("step_started", step, t))
        t += rng.randint(*work)
        if step == "XL" and rng.random() < 0.1:
            path.append(("supplement_requested", "", t))
            t += rng.randint(60, 4320)
            path.append(("supplement_provided", "", t))
            t += rng.randint(30, 600)
        path.append(("step_finished", step, t))
        t += rng.randint(5, 60)
    path.append(("finished", "", t))
    path.append(("returned", "", t + rng.randint(60, 2880)))
    events = []
    for n, (kind, step, offset) in enumerate(path):
        at = start + offset * minutes
        record = {
            "source_id": f"{code}/{n}",
            "dossier_code": code,
            "kind": kind,
            "occurred_at": at.isoformat(),
            "actor": f"canbo{rng.randrange(40):02d}",
        }
        if step:
            record["step"] = step
        if kind == "received":
            record.update(
                procedure=PROCEDURE,
                receiving_unit=ward,
                channel=rng.choice(["counter", "online", "postal"]),
                applicant_name="Nguyễn Văn A",
                data={"so_bien_nhan": f"BN{i:07d}", "le_phi": 50000},
            )
        elif kind == "supplement_requested":
            record["reason"] = "Bổ sung bản sao giấy tờ tùy thân."
        events.append((at, i, n, record))
    return events


def events(n: int, *, run_id: str, seed: int = 20260301) -> Iterator[dict]:
    """n records in time order across the open dossiers (a heap over their future events)."""
    rng = random.Random(seed)
    base = dt.datetime(2025, 3, 3, 8, 0, tzinfo=HCM)
    gap = dt.timedelta(minutes=3)
    pending: list = []
    produced = 0
    i = 0
    while produced < n:
        start = base + i * gap
        while pending and pending[0][0] <= start:
            yield heapq.heappop(pending)[3]
            produced += 1
            if produced == n:
                return
        for item in _dossier_events(i, start, run_id, rng):
            heapq.heappush(pending, item)
        i += 1


def _rows(records: list[dict], now: dt.datetime) -> list[tuple]:
    """The event table's rows for the same records (the baseline copies these)."""
    rows = []
    for r in records:
        number = int(r["dossier_code"].rsplit("-", 1)[1])
        rows.append(
            (
                number, int(r["source_id"].rsplit("/", 1)[1]) + 1, r["kind"],
                dt.datetime.fromisoformat(r["occurred_at"]), now, None, r.get("actor", ""),
                r.get("step", ""), None, r.get("reason", ""), json.dumps(r.get("data", {})),
                "bench-copy", r["source_id"],
            )
        )  # fmt: skip
    return rows


COPY_COLUMNS = (
    "dossier_id, seq, kind, occurred_at, recorded_at, actor_id, actor_label, step, unit_id, "
    "reason, data, source, source_id"
)


def _baseline(connection, rows: list[tuple]) -> float:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY bench_copy ({COPY_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * 13)
            cursor.executemany(
                f"INSERT INTO bench_copy ({COPY_COLUMNS}) VALUES ({marks})",  # noqa: S608
                [(*r[:3], r[3].isoformat(), r[4].isoformat(), *r[5:]) for r in rows],
            )
        return time.perf_counter() - started


def _scratch_table(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE UNLOGGED TABLE bench_copy "
                "(LIKE dossiers_dossierevent INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
        else:
            cursor.execute(
                "CREATE TABLE bench_copy (id integer primary key, dossier_id integer, seq integer,"
                " kind text, occurred_at text, recorded_at text, actor_id integer,"
                " actor_label text, step text, unit_id integer, reason text, data text,"
                " source text, source_id text)"
            )


def _delete(connection, source: str) -> None:
    with connection.cursor() as cursor:
        dossiers = "SELECT id FROM dossiers_dossier WHERE source = %s"
        cursor.execute(
            f"DELETE FROM dossiers_steprecord WHERE dossier_id IN ({dossiers})",  # noqa: S608
            [source],
        )
        cursor.execute("DELETE FROM dossiers_dossierevent WHERE source = %s", [source])
        cursor.execute("DELETE FROM dossiers_dossier WHERE source = %s", [source])
        cursor.execute("DELETE FROM bench_copy")


def run(n: int = 1_000_000, repeats: int = 3, batch: int = 10_000, keep: bool = False) -> dict:
    from django.db import connection
    from django.utils import timezone

    from govqms.dossiers.ingest import events_ingest
    from govqms.dossiers.services import CalendarCache

    _setup()
    _scratch_table(connection)
    repeats = max(1, repeats)
    ingest_times, copy_times, batch_rates = [], [], []
    totals = {}
    for repeat in range(repeats):
        run_id = uuid.uuid4().hex[:8]
        source = f"bench-{run_id}"
        calendars = CalendarCache()
        ingest_seconds = copy_seconds = 0.0
        counts = {"accepted": 0, "rejected": 0, "duplicated": 0, "dossiers_created": 0}
        stream = events(n, run_id=run_id)
        while True:
            records = [r for _, r in zip(range(batch), stream, strict=False)]
            if not records:
                break
            started = time.perf_counter()
            result = events_ingest(actor=None, source=source, records=records, calendars=calendars)
            seconds = time.perf_counter() - started
            ingest_seconds += seconds
            batch_rates.append(len(records) / seconds)
            for key in counts:
                counts[key] += getattr(result, key)
            copy_seconds += _baseline(connection, _rows(records, timezone.now()))
        ingest_times.append(ingest_seconds)
        copy_times.append(copy_seconds)
        totals = counts
        if counts["rejected"]:
            raise RuntimeError(f"the synthetic events were rejected: {counts}")
        if not keep or repeat < repeats - 1:
            _delete(connection, source)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
    ingest_median = statistics.median(ingest_times)
    copy_median = statistics.median(copy_times)
    return {
        "benchmark": "ingest",
        "n": n,
        "batch": batch,
        "repeats": repeats,
        "database": connection.vendor,
        "last_repeat": totals,
        "ingest_seconds_median": round(ingest_median, 3),
        "ingest_events_per_second": round(n / ingest_median),
        "ingest_events_per_second_each": [round(n / t) for t in ingest_times],
        "batch_events_per_second_p10_p50_p90": [
            round(q) for q in statistics.quantiles(batch_rates, n=10)[::4]
        ]
        if len(batch_rates) > 1
        else None,
        "baseline": "COPY into a scratch table"
        if connection.vendor == "postgresql"
        else ("executemany into a scratch table"),
        "baseline_seconds_median": round(copy_median, 3),
        "baseline_events_per_second": round(n / copy_median),
        "ratio": round(ingest_median / copy_median, 2),
        "ratio_meaning": "ingest time / bare copy time of the same rows (lower is better)",
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govqms.settings")
    import django

    django.setup()
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    print(json.dumps(run(n=size), indent=2))
