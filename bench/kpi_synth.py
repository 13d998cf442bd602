"""A synthetic province-year for the KPI benchmark (`bench/bench_kpi.py`), deterministic.

`dataset_ensure(size, seed=...)` makes the database hold exactly the first `size` dossiers of
the synthetic year 2026 of a Hà Nội-like province, and a DuckDB file hold their raw events:

* the org tree: the units `govqms import-divisions --province 01` loads (126 communes/wards and
  the units that ceased in 2025 with their successions), else a synthetic province of 126
  wards; plus 20 synthetic departments (`BKPI-S01` …), created if missing;
* procedures: the real catalogue (`../shared/data/vn/tthc.csv`, read with the project's own
  `procedures.catalogue.read_catalogue`) — every procedure whose legal limit is in working days
  or hours: commune-level ones are handled by the wards, province-level ones by a department
  (sectors shared out among the 20 departments); one active version each, declared by the
  province through `procedures.services` (created once, reused);
* N dossiers, i.i.d. over the year (so any prefix of the sequence is itself a year: the sizes
  of a growth curve nest and a larger size only appends), ~10 events each, their lifecycles
  calibrated on the real logs (`CALIBRATION`, below; `calibrate()` recomputes it);
* `Dossier` rows with every derived field the lifecycle implies at `NOW` (status, receipt,
  due dates with pauses and re-appointment, finish, return, closing, timeliness, paused
  working time, current step, event count), COPYed by chunks on PostgreSQL (bulk_create
  elsewhere), memory flat in N;
* the `DailyRollup` rows of the subtree, summed in numpy with the rules of
  `kpi.rollups.contribution` (the same working calendar, `BulkCalendar` arithmetic), replacing
  the subtree's rows; `tests/bench/test_kpi_synth.py` checks they equal `rollups_rebuild`;
* the raw events (`events`: dossier, seq, kind, occurred_at, unit, procedure, channel, due_at,
  step — what an event log export holds) and the dossier facts (`dossiers`, one row per
  dossier, the Dossier table's columns) in a DuckDB file, plus the calendar's office sessions
  and the units' paths, for the DuckDB baseline. `DossierEvent` rows are not written to
  PostgreSQL: the indicators read the rollups and the Dossier table only.

Determinism: chunk k of `CHUNK` dossiers draws from `numpy.random.default_rng([seed, 1, k])`;
the world (ward sizes, procedure popularity) from `default_rng([seed, 0])`. A marker row
(`bench_kpi_marker` in the database, `meta` in the DuckDB file) records the seed, the
generator version, the fingerprint of the world and the size held, so that a run reuses or
extends what is there instead of generating again.

Timestamps are integers (µs since the epoch, UTC) on whole seconds; the working-time axis
W(t) is `BulkCalendar`'s (working µs since the start of its range). A dossier is generated on
that axis (receipt, processing work P, pauses S inserted at positions of the work, …) and
mapped back to instants, so working_time_between(received, finished) - paused = P exactly.

    .venv/bin/python -m bench.kpi_synth calibrate     # recompute CALIBRATION from the logs
    .venv/bin/python -m bench.kpi_synth drop          # remove the dataset (DATABASE_URL's)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

YEAR = 2026
SOURCE = "bench-kpi"  # Dossier.source of every synthetic dossier
VERSION = 2  # bump when the generator's output changes (the marker then forces a rebuild)
CHUNK = 50_000
US = 1_000_000
HOUR_US = 3600 * US
LOCAL_OFFSET_US = 7 * HOUR_US  # Asia/Ho_Chi_Minh, no DST
DAY_US = 86_400 * US
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CATALOGUE = SHARED / "vn" / "tthc.csv"
EVENTLOGS = SHARED / "eventlogs"
DEPARTMENT_PREFIX = "BKPI-S"
SYNTHETIC_WARD_PREFIX = "BKPI-W"
MARKER_TABLE = "bench_kpi_marker"

#: The dataset's "now": the end of the year (figures and the open-dossier snapshot use it).
NOW = dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))

#: Fitted on the real logs by `calibrate()` (see docs/benchmarks.md, "KPI: calibration"):
#: BPIC15_1..3 (3,440 building-permit cases of three Dutch municipalities, 2,179 decided) and
#: the WABO receipt phase (1,434 cases). Percentile tables are inverse CDFs (linear between).
# fmt: off
CALIBRATION: dict[str, Any] = {
    # BPIC15: (decision 01_HOOFD_495 - first event - supplement pause 08_AWB45_025..045) /
    # legal term (56 days; 182 for caseProcedure=Uitgebreid), percentiles 0..100.
    "r_net_pct": [
        0.0, 0.0289, 0.0629, 0.098, 0.1151, 0.1319, 0.1429, 0.1678, 0.1889, 0.2038, 0.2143,
        0.2321, 0.25, 0.2591, 0.2751, 0.2883, 0.3114, 0.3214, 0.3393, 0.3474, 0.363, 0.3743,
        0.382, 0.384, 0.395, 0.4111, 0.4293, 0.4464, 0.4643, 0.4821, 0.4912, 0.5076, 0.5179,
        0.5306, 0.5428, 0.5581, 0.5707, 0.5802, 0.5893, 0.6071, 0.6157, 0.6319, 0.6429, 0.6527,
        0.6681, 0.6868, 0.7044, 0.7233, 0.7394, 0.75, 0.7585, 0.7724, 0.7857, 0.8031, 0.8117,
        0.8214, 0.8393, 0.84, 0.8571, 0.8579, 0.8674, 0.8757, 0.885, 0.8929, 0.9019, 0.9107,
        0.9278, 0.9368, 0.9464, 0.9555, 0.9643, 0.9714, 0.9821, 0.9898, 0.9993, 1.0078, 1.0207,
        1.0715, 1.1095, 1.1429, 1.1888, 1.2448, 1.2857, 1.3331, 1.3746, 1.4401, 1.5095, 1.5893,
        1.6431, 1.6859, 1.7321, 1.787, 1.8883, 2.0918, 2.3022, 2.6947, 3.0162, 3.6314, 4.4152,
        5.8984, 16.9472
    ],
    "late_share": 0.2556,  # share of r_net > 1 (decided after the legal term, pauses excluded)
    "supplement_share": 0.1419,  # cases with 08_AWB45_025 (additional information asked)
    "suspend_share": 0.2169,  # cases with a "suspend term" (07_OPS_010, 01_HOOFD_540, 13_CRD_020)
    "stopped_share": 0.0192,  # 08_AWB45_075 phase permanently suspended (buiten behandeling)
    "withdrawn_share": 0.0093,  # 05_EIND_040 decision terminate on request
    "ext_given_late": 0.4129,  # P(06_VD_010 extend procedure term | r_net > 1)
    "ext_given_ok": 0.1523,  # P(06_VD_010 | r_net <= 1)
    # supplement pause length / legal term, percentiles 0, 5, ..., 100 (25 % are same-day)
    "pause_ratio_pct": [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0721, 0.1071, 0.1296, 0.1964, 0.2486, 0.2657, 0.3036,
        0.375, 0.4286, 0.5134, 0.625, 0.7157, 0.7862, 1.1067, 6.1331
    ],
    # where the pause starts, as a fraction of the case's duration, percentiles 0, 5, ..., 100
    "pause_pos_pct": [
        0.036, 0.1298, 0.184, 0.2102, 0.2596, 0.3058, 0.3397, 0.3702, 0.3999, 0.4261, 0.4568,
        0.5131, 0.5557, 0.6082, 0.6527, 0.7011, 0.7553, 0.823, 0.927, 0.9995, 1.0
    ],
    # decision sent (01_HOOFD_515) - decision taken (01_HOOFD_495), days, percentiles 0..100/5
    "return_lag_days_pct": [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0003, 0.001, 0.0024,
        0.0035, 0.0053, 0.0172, 1.0, 319.5772
    ],
    # events per case / the mean of its log (BPIC15_1..3 and WABO pooled), percentiles 0..100
    "rel_len_pct": [
        0.0188, 0.1277, 0.1653, 0.1672, 0.1672, 0.2063, 0.2526, 0.2985, 0.3291, 0.4014, 0.4486,
        0.5016, 0.574, 0.6378, 0.7083, 0.7503, 0.7878, 0.8066, 0.8254, 0.8266, 0.8496, 0.8499,
        0.8726, 0.8735, 0.8971, 0.8971, 0.9185, 0.9185, 0.9207, 0.9414, 0.9444, 0.9444, 0.9644,
        0.968, 0.9754, 0.9916, 0.9916, 0.9916, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031,
        1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031,
        1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0031, 1.0103, 1.0103, 1.0152, 1.0328, 1.0333,
        1.0388, 1.0388, 1.0388, 1.0585, 1.0792, 1.086, 1.086, 1.086, 1.1022, 1.1067, 1.1255,
        1.1442, 1.1568, 1.1711, 1.194, 1.217, 1.2399, 1.2629, 1.2859, 1.3131, 1.3221, 1.3375,
        1.3548, 1.3929, 1.4236, 1.4444, 1.5007, 1.5582, 1.629, 1.6719, 1.6719, 1.7234, 1.8383,
        2.0063, 4.1798
    ],
    # WABO receipt phase: channel attribute; "T15 Print document X request unlicensed" (the
    # request is not admissible as filed: our refusal at intake); receipt weekday and hour.
    "wabo_channels": {"Internet": 1250, "Desk": 109, "Post": 53, "e-mail": 21, "Intern": 1},
    "refused_share": 0.0272,
    "weekday_counts": [288, 326, 270, 347, 199],  # Monday .. Friday
    "hour_pct": [
        7.2383, 8.6999, 9.0803, 9.4998, 9.9163, 10.2769, 10.5417, 10.922, 11.3247, 11.6912,
        12.0847, 12.5608, 13.1762, 13.8412, 14.265, 14.6504, 15.0313, 15.3292, 15.7641, 16.3454,
        22.5014
    ],
}
# fmt: on

#: What the logs cannot say (documented in docs/benchmarks.md as assumptions).
ASSUMPTIONS: dict[str, Any] = {
    "ward_share": 0.70,  # dossiers of commune-level procedures (the rest: departments)
    "zipf": 1.1,  # procedure popularity within a level, over a seeded order of the procedures
    "ward_size_sigma": 0.5,  # ward volumes ~ lognormal(0, sigma)
    "steps_mean": 3.0,  # steps per dossier = round(steps_mean x relative case length), >= 1
    "steps_max": 12,
    "r_cap": 8.0,  # processing / limit capped (the logs' top 1 % reach 17)
    "pause_ratio_cap": 3.0,
    "pause_min_s": 3600,  # a same-day pause in the logs: one working hour
    "extension_ratio": 0.75,  # re-appointment adds 0.75 x the limit (Wabo: +6 weeks on 8)
    "online_lag_hours_mean": 6.0,  # online filing -> receipt, exponential (calendar hours)
    "return_lag_min_s": 300,
    "return_lag_cap_days": 30,
    "departments": 20,
}

KINDS = (
    "submitted",
    "received",
    "refused",
    "step_started",
    "step_finished",
    "supplement_requested",
    "supplement_provided",
    "financial_requested",
    "financial_fulfilled",
    "reappointed",
    "finished",
    "returned",
    "withdrawn",
    "stopped",
)
K = {name: i for i, name in enumerate(KINDS)}
CHANNELS = ("counter", "online", "postal")
STATUSES = (
    "received",
    "refused",
    "processing",
    "supplement",
    "financial",
    "withdrawn",
    "stopped",
    "finished",
    "returned",
)
S_ = {name: i for i, name in enumerate(STATUSES)}
TIMELINESS = ("", "early", "on_time", "late", "within", "due_soon", "overdue")
T_ = {name: i for i, name in enumerate(TIMELINESS)}


def _grid(table) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(table, dtype=np.float64)
    return np.linspace(0.0, 1.0, len(values)), values


def _draw(rng: np.random.Generator, table, n: int) -> np.ndarray:
    """n draws from the inverse CDF given as percentiles (linear between them)."""
    grid, values = _grid(table)
    return np.interp(rng.random(n), grid, values)


# --- Calibration on the real logs -------------------------------------------------------------


def calibrate(folder: Path = EVENTLOGS) -> dict[str, Any]:
    """Recompute `CALIBRATION` from the XES logs (streamed with `dossiers.xes.iter_cases`).

    BPIC15 activities as docs/mappings/bpic15.yaml reads them: 08_AWB45_025/045 supplement
    asked/received, 01_HOOFD_495 decision taken, 01_HOOFD_515 decision sent; the legal term is
    56 days, 182 for the extensive procedure. Durations are in days (BPIC15 timestamps are
    dates), taken relative to the term so that they transfer to any procedure's limit.
    """
    from zoneinfo import ZoneInfo

    from govqms.dossiers.xes import iter_cases

    pct101, pct21 = np.linspace(0, 1, 101), np.linspace(0, 1, 21)
    r_net, pause_ratio, pause_pos, ret_lag, rel_len = [], [], [], [], []
    cases = supp = susp = stopped = withdrawn = 0
    ext_late = late = ext_ok = ok = 0
    for i in (1, 2, 3):
        lengths = []
        for case in iter_cases(folder / f"BPIC15_{i}.xes.gz"):
            cases += 1
            lengths.append(len(case.events))
            events = sorted(case.events, key=lambda e: (e.timestamp, e.index))
            t0 = events[0].timestamp
            first: dict[str, dt.datetime] = {}
            for event in events:
                first.setdefault(event.activity, event.timestamp)
            term = 182 if case.attributes.get("caseProcedure") == "Uitgebreid" else 56
            supp += "08_AWB45_025" in first
            susp += any(a in first for a in ("07_OPS_010", "01_HOOFD_540", "13_CRD_020"))
            stopped += "08_AWB45_075" in first
            withdrawn += "05_EIND_040" in first
            if "01_HOOFD_495" not in first:
                continue
            done = first["01_HOOFD_495"]
            days = (done - t0).total_seconds() / 86400
            paused = 0.0
            if "08_AWB45_025" in first and "08_AWB45_045" in first:
                a, b = first["08_AWB45_025"], first["08_AWB45_045"]
                if b >= a >= t0:
                    paused = (b - a).total_seconds() / 86400
                    pause_ratio.append(paused / term)
                    if days > 0:
                        pause_pos.append(min(1.0, (a - t0).total_seconds() / 86400 / days))
            r = max(0.0, days - paused) / term
            r_net.append(r)
            extended = "06_VD_010" in first
            if r > 1:
                late, ext_late = late + 1, ext_late + extended
            else:
                ok, ext_ok = ok + 1, ext_ok + extended
            if "01_HOOFD_515" in first and first["01_HOOFD_515"] >= done:
                ret_lag.append((first["01_HOOFD_515"] - done).total_seconds() / 86400)
        mean = float(np.mean(lengths))
        rel_len += [n / mean for n in lengths]
    channels: dict[str, int] = {}
    refused = wabo = 0
    lengths, weekdays, hours = [], [0] * 7, []
    amsterdam = ZoneInfo("Europe/Amsterdam")
    for case in iter_cases(folder / "WABO_receipt_phase.xes.gz"):
        wabo += 1
        lengths.append(len(case.events))
        name = str(case.attributes.get("channel", ""))
        channels[name] = channels.get(name, 0) + 1
        refused += any(e.activity == "T15 Print document X request unlicensed" for e in case.events)
        receipts = [e.timestamp for e in case.events if e.activity == "Confirmation of receipt"]
        if receipts:
            local = min(receipts).astimezone(amsterdam)
            weekdays[local.weekday()] += 1
            hours.append(local.hour + local.minute / 60 + local.second / 3600)
    mean = float(np.mean(lengths))
    rel_len += [n / mean for n in lengths]

    def q(values, grid):
        return [round(float(v), 4) for v in np.quantile(np.asarray(values, dtype=float), grid)]

    return {
        "r_net_pct": q(r_net, pct101),
        "late_share": round(float(np.mean(np.asarray(r_net) > 1)), 4),
        "supplement_share": round(supp / cases, 4),
        "suspend_share": round(susp / cases, 4),
        "stopped_share": round(stopped / cases, 4),
        "withdrawn_share": round(withdrawn / cases, 4),
        "ext_given_late": round(ext_late / late, 4),
        "ext_given_ok": round(ext_ok / ok, 4),
        "pause_ratio_pct": q(pause_ratio, pct21),
        "pause_pos_pct": q(pause_pos, pct21),
        "return_lag_days_pct": q(ret_lag, pct21),
        "rel_len_pct": q(rel_len, pct101),
        "wabo_channels": dict(sorted(channels.items(), key=lambda kv: -kv[1])),
        "refused_share": round(refused / wabo, 4),
        "weekday_counts": weekdays[:5],
        "hour_pct": q(hours, pct21),
    }


# --- The world: tree, procedures, calendar ---------------------------------------------------


@dataclass
class World:
    seed: int
    province: Any  # OrgUnit
    unit_ids: np.ndarray  # wards first, then departments
    n_wards: int
    ward_cdf: np.ndarray
    proc_ids: np.ndarray  # Procedure ids
    version_ids: np.ndarray
    proc_limit_us: np.ndarray
    proc_due_soon_us: np.ndarray
    proc_level: np.ndarray  # 0 ward, 1 department
    proc_dept: np.ndarray  # department index (level 1)
    proc_online: np.ndarray
    proc_postal: np.ndarray
    level_procs: tuple[np.ndarray, np.ndarray]
    level_cdf: tuple[np.ndarray, np.ndarray]
    calendar: Any  # WorkCalendar
    bulk: Any  # BulkCalendar
    day_w_open: np.ndarray  # per working day of YEAR: W at its opening
    day_len: np.ndarray  # working µs of the day
    day_cdf: np.ndarray
    unit_paths: dict[int, str]
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)

    # W(t) and its inverse (the earliest instant with that working position)
    def w_of(self, t: np.ndarray) -> np.ndarray:
        w, _ = self.bulk._position(np.asarray(t, dtype=np.int64))
        return w

    def instant(self, w: np.ndarray, *, beyond_ok: bool = False) -> np.ndarray:
        """The earliest instant at working position w; BEYOND past the calendar's range (only
        with `beyond_ok`: events that far out are after NOW anyway)."""
        b = self.bulk
        w = np.asarray(w, dtype=np.int64)
        out_of_range = w > b.cum_end[-1]
        if out_of_range.any() and not beyond_ok:
            raise ValueError("a working position beyond the precomputed calendar range")
        j = np.minimum(b._session_reaching(np.minimum(w, b.cum_end[-1])), len(b.starts) - 1)
        return np.where(out_of_range, BEYOND, b.starts[j] + (w - b.cum_start[j]))


def _ensure_tree(*, wards: int | None, departments: int, use_divisions: bool):
    from govqms.org.models import OrgUnit
    from govqms.org.services import unit_create

    current = OrgUnit.objects.current()
    province = current.filter(code="01").first()
    if province is None and use_divisions:
        try:
            from django.core.management import call_command

            call_command("import_divisions", province="01", stdout=io.StringIO())
        except Exception as exc:  # packages missing: fall back to a synthetic tree
            print(
                f"kpi_synth: import-divisions unavailable ({exc}); synthetic tree", file=sys.stderr
            )
        province = current.filter(code="01").first()
    if province is None:
        province = unit_create(
            actor=None, code="01", name="Thành phố Hà Nội (mô phỏng)", kind="province"
        )
    kinds = ("ward", "commune", "special_zone")
    ward_qs = current.filter(parent=province, kind__in=kinds).order_by("code")
    if not ward_qs.exists():
        for i in range(1, (wards or 126) + 1):
            unit_create(
                actor=None,
                code=f"{SYNTHETIC_WARD_PREFIX}{i:03d}",
                name=f"Phường {i} (mô phỏng)",
                kind="ward",
                parent=province,
            )
    ward_units = list(ward_qs)
    if wards:
        ward_units = ward_units[:wards]
    dept_units = []
    for i in range(1, departments + 1):
        code = f"{DEPARTMENT_PREFIX}{i:02d}"
        unit = current.filter(code=code).first()
        if unit is None:
            unit = unit_create(
                actor=None,
                code=code,
                name=f"Sở chuyên ngành {i:02d} (mô phỏng)",
                kind="department",
                parent=province,
            )
        dept_units.append(unit)
    return province, ward_units, dept_units


def _synthetic_catalogue(count: int) -> list:
    from govqms.procedures.catalogue import ProcedureRecord

    limits = (1, 3, 5, 7, 10, 15, 20, 30)
    records = []
    for i in range(count):
        level = "Cấp xã" if i % 3 else "Cấp tỉnh"
        records.append(
            ProcedureRecord(
                code=f"BKPI.{i:04d}",
                name=f"Thủ tục mô phỏng {i}",
                sector=f"Lĩnh vực {i % 7}",
                levels=[level],
                limit_value=Decimal(limits[i % len(limits)]),
                limit_unit="working_days",
                channels=["online", "counter", "postal"] if i % 2 else ["counter"],
            )
        )
    return records


def _catalogue(limit: int | None) -> list:
    """Catalogue records usable by the generator: a limit in working days or hours, at commune
    or province level. The real catalogue when present, else a small synthetic one."""
    if not CATALOGUE.is_file():
        return _synthetic_catalogue(limit or 40)
    from govqms.procedures.catalogue import RowError, read_catalogue

    records = []
    for _line, record in read_catalogue(CATALOGUE):
        if isinstance(record, RowError):
            continue
        if record.limit_unit not in ("working_days", "working_hours"):
            continue
        if record.limit_value is None or record.limit_value <= 0:
            continue
        if "Cấp xã" not in record.levels and "Cấp tỉnh" not in record.levels:
            continue
        records.append(record)
    records.sort(key=lambda r: r.code)
    if limit:
        # keep both levels in a small selection
        ward = [r for r in records if "Cấp xã" in r.levels]
        dept = [r for r in records if "Cấp xã" not in r.levels]
        half = max(1, limit // 2)
        records = sorted(ward[:half] + dept[: limit - half], key=lambda r: r.code)
    return records


def _limit_hours(record) -> Decimal:
    value = Decimal(record.limit_value)
    return value * 8 if record.limit_unit == "working_days" else value


def _ensure_procedures(province, records) -> list:
    """(procedure, active version at the province, record) per record; created once through
    the services (audited like any catalogue or version change)."""
    from django.db import transaction

    from govqms.procedures import services
    from govqms.procedures.models import Procedure, ProcedureVersion
    from govqms.procedures.specs import StepSpec

    codes = [r.code for r in records]
    existing = {p.code: p for p in Procedure.objects.filter(code__in=codes)}
    versions = {
        v.procedure_id: v
        for v in ProcedureVersion.objects.active().filter(unit=province, procedure__code__in=codes)
    }
    out = []
    with transaction.atomic():
        for record in records:
            procedure = existing.get(record.code)
            if procedure is None:
                procedure, _ = services.procedure_upsert(
                    actor=None, code=record.code, **record.as_fields()
                )
            version = versions.get(procedure.pk)
            if version is None:
                hours = _limit_hours(record)
                draft = services.version_create_draft(
                    actor=None,
                    procedure=procedure,
                    unit=province,
                    limit_unit=record.limit_unit,
                    limit_hours=hours,
                    steps=[StepSpec("XL", "Thẩm định, giải quyết", "case_handler", hours)],
                )
                version = services.version_activate(actor=None, version=draft)
            out.append((procedure, version, record))
    return out


def _zipf_cdf(n: int, s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(order, cdf): a seeded permutation of range(n) and the Zipf(s) CDF over it."""
    order = rng.permutation(n)
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    cdf = np.cumsum(weights)
    return order, cdf / cdf[-1]


def _calendar(units, province):
    """The one working calendar of the subtree (as `kpi.rollups` resolves it) and its bulk
    arrays; units with office hours of their own are not supported here."""
    from govqms.dossiers.services import CalendarCache

    cache = CalendarCache()
    calendar = cache.for_unit(province)
    if calendar.deadline_mode != "hours" or calendar.hours_per_day != 8:
        raise NotImplementedError("the generator assumes deadlines in working hours, 8 h a day")
    first, last = dt.date(YEAR - 1, 11, 1), dt.date(YEAR + 6, 12, 31)
    bulk = calendar.bulk(first, last)
    for unit in units:
        other = cache.for_unit(unit)
        if other is calendar:
            continue
        ob = other.bulk(first, last)
        if not (np.array_equal(ob.starts, bulk.starts) and np.array_equal(ob.ends, bulk.ends)):
            raise NotImplementedError(f"{unit.code} has its own working calendar")
    return calendar, bulk


def world(
    seed: int = 20260401,
    *,
    wards: int | None = None,
    departments: int = ASSUMPTIONS["departments"],
    procedures: int | None = None,
    use_divisions: bool = True,
) -> World:
    """Set up (idempotently) and describe the province the dossiers live in."""
    province, ward_units, dept_units = _ensure_tree(
        wards=wards, departments=departments, use_divisions=use_divisions
    )
    records = _catalogue(procedures)
    triples = _ensure_procedures(province, records)
    rng = np.random.default_rng([seed, 0])

    # sectors of department-level procedures shared out among the departments (greedy balance)
    dept_sectors: dict[str, int] = {}
    for _p, _v, r in triples:
        if "Cấp xã" not in r.levels:
            dept_sectors[r.sector] = dept_sectors.get(r.sector, 0) + 1
    load = [0] * len(dept_units)
    sector_dept = {}
    for sector, count in sorted(dept_sectors.items(), key=lambda kv: (-kv[1], kv[0])):
        d = min(range(len(dept_units)), key=lambda i: (load[i], i))
        sector_dept[sector] = d
        load[d] += count

    proc_level = np.array([0 if "Cấp xã" in r.levels else 1 for _p, _v, r in triples], np.int8)
    proc_dept = np.array([sector_dept.get(r.sector, 0) for _p, _v, r in triples], np.int64)
    level_procs, level_cdf = [], []
    for level in (0, 1):
        members = np.flatnonzero(proc_level == level)
        if members.size:
            order, cdf = _zipf_cdf(members.size, ASSUMPTIONS["zipf"], rng)
            level_procs.append(members[order])
            level_cdf.append(cdf)
        else:
            level_procs.append(members)
            level_cdf.append(np.zeros(0))
    sizes = rng.lognormal(0.0, ASSUMPTIONS["ward_size_sigma"], len(ward_units))
    ward_cdf = np.cumsum(sizes) / sizes.sum()

    units = [*ward_units, *dept_units]
    calendar, bulk = _calendar(units, province)
    # working days of YEAR: the opening W and the length of each, weighted by weekday (WABO)
    local_day = (bulk.starts + LOCAL_OFFSET_US) // DAY_US
    day0 = (dt.date(YEAR, 1, 1) - dt.date(1970, 1, 1)).days
    day1 = (dt.date(YEAR + 1, 1, 1) - dt.date(1970, 1, 1)).days
    in_year = (local_day >= day0) & (local_day < day1)
    days, first_idx = np.unique(local_day[in_year], return_index=True)
    sess = np.flatnonzero(in_year)
    opening = bulk.cum_start[sess[first_idx]]
    lengths = np.add.reduceat((bulk.ends - bulk.starts)[sess], first_idx)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
    wd_weights = np.asarray(CALIBRATION["weekday_counts"], dtype=np.float64)
    weights = np.where(weekday < 5, wd_weights[np.minimum(weekday, 4)], wd_weights.mean())
    day_cdf = np.cumsum(weights) / weights.sum()

    from govqms.org.models import OrgUnit

    unit_paths = dict(
        OrgUnit.objects.filter(path__startswith=province.path).values_list("pk", "path")
    )
    w = World(
        seed=seed,
        province=province,
        unit_ids=np.array([u.pk for u in units], dtype=np.int64),
        n_wards=len(ward_units),
        ward_cdf=ward_cdf,
        proc_ids=np.array([p.pk for p, _v, _r in triples], dtype=np.int64),
        version_ids=np.array([v.pk for _p, v, _r in triples], dtype=np.int64),
        proc_limit_us=np.array(
            [int(v.limit_hours * HOUR_US) for _p, v, _r in triples], dtype=np.int64
        ),
        proc_due_soon_us=np.array(
            [int(v.due_soon_hours * HOUR_US) for _p, v, _r in triples], dtype=np.int64
        ),
        proc_level=proc_level,
        proc_dept=proc_dept,
        proc_online=np.array(["online" in r.channels for _p, _v, r in triples]),
        proc_postal=np.array(["postal" in r.channels for _p, _v, r in triples]),
        level_procs=(level_procs[0], level_procs[1]),
        level_cdf=(level_cdf[0], level_cdf[1]),
        calendar=calendar,
        bulk=bulk,
        day_w_open=opening.astype(np.int64),
        day_len=lengths.astype(np.int64),
        day_cdf=day_cdf,
        unit_paths=unit_paths,
    )
    digest = hashlib.sha256()
    for part in (
        VERSION,
        seed,
        YEAR,
        CHUNK,
        json.dumps(CALIBRATION, sort_keys=True),
        json.dumps(ASSUMPTIONS, sort_keys=True),
    ):
        digest.update(str(part).encode())
    for array in (
        w.unit_ids,
        w.proc_ids,
        w.version_ids,
        w.proc_limit_us,
        w.proc_level,
        w.proc_dept,
        bulk.starts,
        bulk.ends,
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    w.fingerprint = digest.hexdigest()[:16]
    return w


# --- One chunk of dossiers --------------------------------------------------------------------

NAT = np.iinfo(np.int64).min  # "no instant"
BEYOND = np.iinfo(np.int64).max  # an instant past the calendar range (after NOW)


@dataclass
class Chunk:
    """Dossier facts (one row each) and their events (flat, sorted by dossier then replay
    order), for dossiers [base, base + n)."""

    base: int
    d: dict[str, np.ndarray]
    e: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.d["unit"])

    def head(self, m: int) -> Chunk:
        if m >= self.n:
            return self
        keep = self.e["local"] < m
        return Chunk(
            self.base,
            {k: v[:m] for k, v in self.d.items()},
            {k: v[keep] for k, v in self.e.items()},
        )

    def tail(self, m: int) -> Chunk:
        """The dossiers from local index m on."""
        if m <= 0:
            return self
        keep = self.e["local"] >= m
        e = {k: v[keep] for k, v in self.e.items()}
        e["local"] = e["local"] - m
        return Chunk(self.base + m, {k: v[m:] for k, v in self.d.items()}, e)


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def chunk_generate(w: World, k: int) -> Chunk:
    """Dossiers [k*CHUNK, (k+1)*CHUNK): their lifecycle on the working-time axis, the events
    up to NOW and the derived state at NOW (the rules of dossiers.workflows)."""
    rng = np.random.default_rng([w.seed, 1, k])
    n = CHUNK
    A, C = ASSUMPTIONS, CALIBRATION
    now_us = int(NOW.timestamp()) * US

    # --- procedure and unit
    has_ward, has_dept = w.level_procs[0].size > 0, w.level_procs[1].size > 0
    share = A["ward_share"] if (has_ward and has_dept) else (1.0 if has_ward else 0.0)
    is_ward = rng.random(n) < share
    u = rng.random(n)
    proc = np.empty(n, dtype=np.int64)
    if has_ward:
        proc[is_ward] = w.level_procs[0][_pick(w.level_cdf[0], u[is_ward])]
    if has_dept:
        proc[~is_ward] = w.level_procs[1][_pick(w.level_cdf[1], u[~is_ward])]
    ward = _pick(w.ward_cdf, rng.random(n))
    unit = np.where(is_ward, ward, w.n_wards + w.proc_dept[proc])

    # --- receipt: a working day (weekday profile) and an hour of it (WABO receipt hours)
    day = _pick(w.day_cdf, rng.random(n))
    hour = _draw(rng, C["hour_pct"], n)
    # local hour -> working time elapsed that day (07:30-12:00, 13:00-16:30), as a fraction
    elapsed = np.clip(hour - 7.5, 0, 4.5) + np.clip(hour - 13.0, 0, 3.5)
    frac = np.minimum(elapsed / 8.0, 1.0 - 1e-9)
    w_rec = w.day_w_open[day] + (np.floor(frac * w.day_len[day] / US) * US).astype(np.int64)
    t_rec = w.instant(w_rec)

    # --- channel (WABO: Internet/e-mail online, Desk/Intern counter, Post postal)
    ch = C["wabo_channels"]
    online_n = ch.get("Internet", 0) + ch.get("e-mail", 0)
    postal_n = ch.get("Post", 0)
    counter_n = ch.get("Desk", 0) + ch.get("Intern", 0)
    online = w.proc_online[proc] & (rng.random(n) < online_n / (online_n + postal_n + counter_n))
    postal = ~online & w.proc_postal[proc] & (rng.random(n) < postal_n / (postal_n + counter_n))
    channel = np.where(online, 1, np.where(postal, 2, 0)).astype(np.int8)
    lag = np.maximum(60, np.round(rng.exponential(A["online_lag_hours_mean"] * 3600, n)))
    t_sub = np.where(online, t_rec - lag.astype(np.int64) * US, NAT)

    refused = rng.random(n) < C["refused_share"]
    recv = ~refused

    # --- processing work P, pauses, outcome, re-appointment (processing coordinates, µs)
    L = w.proc_limit_us[proc]
    r = np.minimum(_draw(rng, C["r_net_pct"], n), A["r_cap"])
    P = np.maximum(60, np.round(r * L / US)).astype(np.int64) * US

    def pause(share_key):
        has = recv & (rng.random(n) < C[share_key])
        pos = _draw(rng, C["pause_pos_pct"], n)
        at = np.clip(np.floor(pos * P / US).astype(np.int64) * US, US, P - US)
        ratio = np.minimum(_draw(rng, C["pause_ratio_pct"], n), A["pause_ratio_cap"])
        length = np.maximum(A["pause_min_s"], np.round(ratio * L / US)).astype(np.int64) * US
        return has, at, length

    has_s, p_s, S_s = pause("supplement_share")
    has_f, p_f, S_f = pause("suspend_share")
    clash = has_s & has_f & (p_s == p_f)
    p_f = np.where(clash, np.where(p_f + US < P, p_f + US, p_f - US), p_f)

    u5 = rng.random(n)
    withdrawn = recv & (u5 < C["withdrawn_share"])
    stopped = recv & ~withdrawn & (u5 < C["withdrawn_share"] + C["stopped_share"])
    closing = withdrawn | stopped
    finishing = recv & ~closing
    x_end = np.where(
        closing, np.clip(np.floor(rng.random(n) * P / US).astype(np.int64) * US, US, P - US), P
    )
    has_s &= p_s < x_end
    has_f &= p_f < x_end

    ext_p = np.where(P > L, C["ext_given_late"], C["ext_given_ok"])
    has_r = finishing & (rng.random(n) < ext_p)
    span = np.minimum(L, P)
    x_r = np.clip(np.floor(rng.random(n) * span / US).astype(np.int64) * US, US, span - US)
    E = (np.round(A["extension_ratio"] * L / US)).astype(np.int64) * US

    ret_days = np.minimum(_draw(rng, C["return_lag_days_pct"], n), A["return_lag_cap_days"])
    ret_lag = np.maximum(A["return_lag_min_s"], np.round(ret_days * 8 * 3600)).astype(np.int64)
    ret_lag *= US

    rel = _draw(rng, C["rel_len_pct"], n)
    steps = np.clip(np.round(A["steps_mean"] * rel), 1, A["steps_max"]).astype(np.int64)
    K2 = 2 * A["steps_max"]
    pts = rng.random((n, K2))
    pts[np.arange(K2)[None, :] >= 2 * steps[:, None]] = np.inf
    pts.sort(axis=1)
    x_steps = np.floor(pts * (P[:, None] / US)) * US  # inf stays inf

    def mapped(x):
        """processing position -> working position after receipt (pauses before it added)."""
        out = x + np.where(has_s & (p_s < x), S_s, 0)
        return out + np.where(has_f & (p_f < x), S_f, 0)

    # pause request positions (each pause after the earlier one, in the order of positions)
    w_sreq = mapped(p_s)
    w_freq = mapped(p_f)
    W0 = w_rec
    w_reap = mapped(x_r)
    w_end = mapped(x_end)

    # --- events: slots in replay order at equal instants, then sorted per dossier
    slot_kinds = [K["submitted"], K["received"]]
    slot_kinds += [K["step_started"], K["step_finished"]] * A["steps_max"]
    slot_kinds += [
        K["reappointed"],
        K["supplement_requested"],
        K["supplement_provided"],
        K["financial_requested"],
        K["financial_fulfilled"],
        -1,  # terminal: finished / withdrawn / stopped
        K["returned"],
    ]
    T = len(slot_kinds)
    W = np.full((n, T), NAT, dtype=np.int64)  # working position (absolute)
    kinds = np.tile(np.array(slot_kinds, dtype=np.int16), (n, 1))
    due_w = np.full((n, T), NAT, dtype=np.int64)  # the due date the event sets (W)
    # submitted: an instant (may be out of office hours); carried separately
    sub_slot, rec_slot, step0 = 0, 1, 2
    reap_slot = 2 + K2
    sreq, sprov, freq, fprov, term_slot, ret_slot = range(reap_slot + 1, reap_slot + 7)
    W[:, rec_slot] = W0
    kinds[refused, rec_slot] = K["refused"]
    due_w[recv, rec_slot] = (W0 + L)[recv]
    finite = np.isfinite(x_steps)
    xs = np.where(finite, x_steps, 0).astype(np.int64)
    keep_steps = finite & (xs < x_end[:, None]) & recv[:, None]
    w_steps = W0[:, None] + mapped_2d(xs, has_s, p_s, S_s, has_f, p_f, S_f)
    W[:, step0 : step0 + K2] = np.where(keep_steps, w_steps, NAT)
    W[has_r, reap_slot] = (W0 + w_reap)[has_r]
    # due after the re-appointment: L + E + pauses completed before it
    pauses_before_r = mapped(x_r) - x_r
    due_w[has_r, reap_slot] = (W0 + L + E + pauses_before_r)[has_r]
    W[has_s, sreq] = (W0 + w_sreq)[has_s]
    W[has_s, sprov] = (W0 + w_sreq + S_s)[has_s]
    W[has_f, freq] = (W0 + w_freq)[has_f]
    W[has_f, fprov] = (W0 + w_freq + S_f)[has_f]
    # due after a pause ends: L (+E if re-appointed before it) + the pauses completed so far
    done_s = np.where(has_s, S_s, 0) + np.where(has_f & (p_f < p_s), S_f, 0)
    done_f = np.where(has_f, S_f, 0) + np.where(has_s & (p_s < p_f), S_s, 0)
    due_w[has_s, sprov] = (W0 + L + np.where(has_r & (x_r <= p_s), E, 0) + done_s)[has_s]
    due_w[has_f, fprov] = (W0 + L + np.where(has_r & (x_r <= p_f), E, 0) + done_f)[has_f]
    W[recv, term_slot] = (W0 + w_end)[recv]
    kinds[:, term_slot] = np.where(
        withdrawn, K["withdrawn"], np.where(stopped, K["stopped"], K["finished"])
    )
    # instants; the return is a working lag after the finish; submission a calendar lag before
    t = np.full((n, T), NAT, dtype=np.int64)
    present = W != NAT
    t[present] = w.instant(W[present], beyond_ok=True)
    t[online, sub_slot] = t_sub[online]
    ret_present = finishing
    W[ret_present, ret_slot] = (W0 + w_end + ret_lag)[ret_present]
    t[ret_present, ret_slot] = w.instant(W[ret_present, ret_slot], beyond_ok=True)
    present = t != NAT
    kept = present & (t <= now_us)

    # --- derived state at NOW
    def at(slot):
        return np.where(kept[:, slot], t[:, slot], NAT)

    t_term = at(term_slot)
    finished_at = np.where(finishing & (t_term != NAT), t_term, NAT)
    returned_at = at(ret_slot)
    closed_at = np.where(refused, t_rec, np.where(closing, t_term, returned_at))
    reappointed = kept[:, reap_slot]
    s_on = kept[:, sreq] & ~kept[:, sprov]
    f_on = kept[:, freq] & ~kept[:, fprov]
    paused_us = np.where(kept[:, sprov], S_s, 0) + np.where(kept[:, fprov], S_f, 0)
    paused_since = np.where(s_on, t[:, sreq], np.where(f_on, t[:, freq], NAT))
    any_step = kept[:, step0 : step0 + K2].any(axis=1) | kept[:, sprov] | kept[:, fprov]
    status = np.full(n, S_["received"], dtype=np.int8)
    status[any_step] = S_["processing"]
    status[s_on] = S_["supplement"]
    status[f_on] = S_["financial"]
    status[finished_at != NAT] = S_["finished"]
    status[returned_at != NAT] = S_["returned"]
    status[withdrawn & (t_term != NAT)] = S_["withdrawn"]
    status[stopped & (t_term != NAT)] = S_["stopped"]
    status[refused] = S_["refused"]
    due_now_w = W0 + L + np.where(reappointed, E, 0) + paused_us
    due_at = np.where(recv, w.instant(due_now_w), NAT)
    original_due = np.where(recv, w.instant(W0 + L), NAT)
    # timeliness (workflows.timeliness at NOW)
    tl = np.zeros(n, dtype=np.int8)
    fin = finished_at != NAT
    late = fin & (finished_at > due_at)
    day_fin = (finished_at + LOCAL_OFFSET_US) // DAY_US
    day_due = (due_at + LOCAL_OFFSET_US) // DAY_US
    tl[fin] = T_["on_time"]
    tl[fin & ~late & (day_fin < day_due)] = T_["early"]
    tl[late] = T_["late"]
    is_open = np.isin(
        status, [S_[s] for s in ("received", "processing", "supplement", "financial")]
    )
    ref = np.where(paused_since != NAT, paused_since, now_us)
    remaining = due_now_w - w.w_of(np.where(is_open, ref, t_rec))
    margin = w.proc_due_soon_us[proc]
    overdue = is_open & (ref > due_at)
    soon = is_open & ~overdue & (remaining <= margin)
    tl[is_open] = T_["within"]
    tl[soon] = T_["due_soon"]
    tl[overdue] = T_["overdue"]
    # current step: the last kept step event, if it is a start and the dossier is not finished
    step_kept = kept[:, step0 : step0 + K2]
    last_step = np.where(step_kept.any(axis=1), K2 - 1 - np.argmax(step_kept[:, ::-1], axis=1), -1)
    current_step = np.where(
        (last_step >= 0) & (last_step % 2 == 0) & (finished_at == NAT) & recv,
        last_step // 2 + 1,
        0,
    ).astype(np.int8)

    # events, flattened in replay order
    order_t = np.where(kept, t, BEYOND)
    slot_idx = np.broadcast_to(np.arange(T), (n, T))
    local_idx = np.broadcast_to(np.arange(n)[:, None], (n, T))
    sel = kept.ravel()
    flat_local = local_idx.ravel()[sel]
    flat_t = order_t.ravel()[sel]
    flat_slot = slot_idx.ravel()[sel]
    order = np.lexsort((flat_slot, flat_t, flat_local))
    flat_local, flat_t, flat_slot = flat_local[order], flat_t[order], flat_slot[order]
    counts = np.bincount(flat_local, minlength=n)
    starts = np.cumsum(counts) - counts
    seq = (np.arange(flat_local.size) - starts[flat_local] + 1).astype(np.int16)
    flat_kind = kinds.ravel()[sel][order].astype(np.int8)
    flat_due = due_w.ravel()[sel][order]
    has_due = flat_due != NAT
    flat_due_t = np.full(flat_due.size, NAT, dtype=np.int64)
    flat_due_t[has_due] = w.instant(flat_due[has_due])
    step_no = np.where(
        (flat_slot >= step0) & (flat_slot < step0 + K2), (flat_slot - step0) // 2 + 1, 0
    ).astype(np.int8)
    is_open_ch = (
        (flat_kind == K["submitted"]) | (flat_kind == K["received"]) | (flat_kind == K["refused"])
    )
    last_event = np.full(n, NAT, dtype=np.int64)
    np.maximum.at(last_event, flat_local, flat_t)

    d = {
        "unit": unit,
        "proc": proc,
        "channel": channel,
        "status": status,
        "submitted_at": np.where(online, t_sub, NAT),
        "received_at": np.where(recv, t_rec, NAT),
        "due_at": due_at,
        "original_due_at": original_due,
        "paused_seconds": np.where(recv, paused_us // US, 0),
        "paused_since": paused_since,
        "finished_at": finished_at,
        "returned_at": returned_at,
        "closed_at": closed_at,
        "reappointed": reappointed,
        "current_step": current_step,
        "timeliness": tl,
        "event_count": counts.astype(np.int32),
        "last_event_at": last_event,
    }
    e = {
        "local": flat_local.astype(np.int64),
        "seq": seq,
        "kind": flat_kind,
        "t": flat_t,
        "channel": np.where(is_open_ch, channel[flat_local], -1).astype(np.int8),
        "due": flat_due_t,
        "step": step_no,
    }
    return Chunk(k * CHUNK, d, e)


def mapped_2d(xs, has_s, p_s, S_s, has_f, p_f, S_f):
    """`mapped` for a (n, m) array of processing positions."""
    out = xs + np.where(has_s[:, None] & (p_s[:, None] < xs), S_s[:, None], 0)
    return out + np.where(has_f[:, None] & (p_f[:, None] < xs), S_f[:, None], 0)


# --- Rollups: the contribution rules of kpi.rollups, in numpy ---------------------------------

DAY_ORIGIN = (dt.date(YEAR - 1, 11, 1) - dt.date(1970, 1, 1)).days  # local day 0 of the keys
N_DAYS = (dt.date(YEAR + 1, 1, 2) - dt.date(YEAR - 1, 11, 1)).days


def _measures():
    from govqms.kpi.models import HISTOGRAM_FIELDS, MEASURES
    from govqms.kpi.rollups import HISTOGRAM_EDGES_SECONDS

    return MEASURES, HISTOGRAM_FIELDS, np.asarray(HISTOGRAM_EDGES_SECONDS, dtype=np.int64)


def chunk_contributions(w: World, c: Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(entry keys, values): entry key = ((unit * P + procedure) * N_DAYS + day) * M + measure,
    summed over the chunk's dossiers with the rules of `kpi.rollups.contribution`."""
    measures, histogram, edges = _measures()
    mi = {m: i for i, m in enumerate(measures)}
    M = len(measures)
    d = c.d
    base = d["unit"] * len(w.proc_ids) + d["proc"]
    keys, vals = [], []

    def add(mask, instants, measure, values=None):
        if not mask.any():
            return
        day = (instants[mask] + LOCAL_OFFSET_US) // DAY_US - DAY_ORIGIN
        if day.min() < 0 or day.max() >= N_DAYS:
            raise ValueError("a dated fact outside the key range")
        m = measure if isinstance(measure, np.ndarray) else np.int64(mi[measure])
        m = m[mask] if isinstance(measure, np.ndarray) else m
        keys.append((base[mask] * N_DAYS + day) * M + m)
        vals.append(np.ones(int(mask.sum()), np.int64) if values is None else values[mask])

    rec_at, fin_at = d["received_at"], d["finished_at"]
    rec, fin = rec_at != NAT, fin_at != NAT
    add(rec, rec_at, "received")
    add(rec & (d["channel"] == 1), rec_at, "received_online")
    add(d["submitted_at"] != NAT, d["submitted_at"], "submitted")
    add(fin, fin_at, "finished")
    for klass in ("early", "on_time", "late"):
        add(fin & (d["timeliness"] == T_[klass]), fin_at, f"finished_{klass}")
    add(fin & d["reappointed"], fin_at, "finished_reappointed")
    both = fin & rec
    seconds = np.zeros(c.n, dtype=np.int64)
    if both.any():
        worked = w.w_of(fin_at[both]) - w.w_of(rec_at[both])
        seconds[both] = np.maximum(0, worked // US - d["paused_seconds"][both])
    add(both, fin_at, "processing_seconds", seconds)
    bins = mi[histogram[0]] + np.searchsorted(edges, seconds, side="right")
    add(both, fin_at, bins.astype(np.int64))
    add(d["returned_at"] != NAT, d["returned_at"], "returned")
    for status in ("refused", "withdrawn", "stopped"):
        add((d["status"] == S_[status]) & (d["closed_at"] != NAT), d["closed_at"], status)
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _reduce(np.concatenate(keys), np.concatenate(vals))


def _reduce(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    if not keys.size:
        return keys, vals
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(vals, starts)


class RollupSum:
    """Sparse running sum of contribution entries (memory bounded by the number of rollup
    cells, not by the number of dossiers)."""

    def __init__(self, flush_at: int = 4_000_000):
        self.keys = np.zeros(0, np.int64)
        self.vals = np.zeros(0, np.int64)
        self.buffer: list[tuple[np.ndarray, np.ndarray]] = []
        self.buffered = 0
        self.flush_at = flush_at

    def add(self, keys, vals):
        self.buffer.append((keys, vals))
        self.buffered += keys.size
        if self.buffered >= self.flush_at:
            self.flush()

    def flush(self):
        if self.buffer:
            keys = np.concatenate([self.keys, *(k for k, _ in self.buffer)])
            vals = np.concatenate([self.vals, *(v for _, v in self.buffer)])
            self.keys, self.vals = _reduce(keys, vals)
            self.buffer, self.buffered = [], 0

    def rows(self, w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(unit ids, procedure ids, days (datetime64[D]), counters (rows x M))."""
        self.flush()
        measures, _h, _e = _measures()
        M = len(measures)
        nz = self.vals != 0
        keys, vals = self.keys[nz], self.vals[nz]
        cell, measure = keys // M, keys % M
        cells, inverse = np.unique(cell, return_inverse=True)
        matrix = np.zeros((cells.size, M), dtype=np.int64)
        matrix[inverse, measure] = vals
        day = cells % N_DAYS
        pair = cells // N_DAYS
        unit, proc = pair // len(w.proc_ids), pair % len(w.proc_ids)
        days = (day + DAY_ORIGIN).astype("datetime64[D]")
        return w.unit_ids[unit], w.proc_ids[proc], days, matrix


# --- Writing: PostgreSQL (COPY) or any other database (bulk_create) ---------------------------

TIME_FIELDS = (
    "submitted_at",
    "received_at",
    "due_at",
    "original_due_at",
    "paused_since",
    "finished_at",
    "returned_at",
    "closed_at",
    "last_event_at",
)


def dossier_code(i: int) -> str:
    return f"KPI{YEAR}-{i:08d}"


def _ts_text(us: np.ndarray) -> list[str]:
    text = np.datetime_as_string(us.view("datetime64[us]"), unit="s", timezone="UTC")
    return np.where(us == NAT, r"\N", text).tolist()


def _columns(w: World, c: Chunk) -> dict[str, list]:
    """The Dossier columns of a chunk, as text for COPY."""
    d = c.d
    n = c.n
    unit = w.unit_ids[d["unit"]].astype(str).tolist()
    blank = [""] * n
    first = np.where(d["submitted_at"] != NAT, d["submitted_at"], d["received_at"])
    first = np.where(first == NAT, d["closed_at"], first)
    cols = {
        "code": [dossier_code(i) for i in range(c.base, c.base + n)],
        "version_id": w.version_ids[d["proc"]].astype(str).tolist(),
        "receiving_unit_id": unit,
        "competent_unit_id": unit,
        "returning_unit_id": unit,
        "channel": np.asarray(CHANNELS)[d["channel"]].tolist(),
        "applicant_name": blank,
        "applicant_phone": blank,
        "applicant_email": blank,
        "applicant_id_number": blank,
        "status": np.asarray(STATUSES)[d["status"]].tolist(),
        "paused_seconds": d["paused_seconds"].astype(str).tolist(),
        "reappointed": np.where(d["reappointed"], "t", "f").tolist(),
        "current_step": np.where(
            d["current_step"] > 0, np.char.add("B", d["current_step"].astype(str)), ""
        ).tolist(),
        "current_handler": blank,
        "timeliness": np.asarray(TIMELINESS)[d["timeliness"]].tolist(),
        "event_count": d["event_count"].astype(str).tolist(),
        "source": [SOURCE] * n,
        "source_id": blank,
        "created_at": _ts_text(first),
    }
    for name in TIME_FIELDS:
        cols[name] = _ts_text(d[name])
    return cols


def _model_columns() -> list[tuple[str, Any]]:
    """(column, field) of every stored Dossier column but the id, from the model (so that a
    column added later gets its default without touching the generator)."""
    from govqms.dossiers.models import Dossier

    return [(f.column, f) for f in Dossier._meta.concrete_fields if not f.primary_key]


def _default_text(field_) -> str:
    if not field_.has_default():
        if field_.null:
            return r"\N"
        raise NotImplementedError(f"Dossier.{field_.name}: no value and no default")
    value = field_.get_default()
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _write_dossiers(w: World, c: Chunk) -> None:
    from django.db import connection, transaction

    cols = _columns(w, c)
    columns = _model_columns()
    for column, field_ in columns:
        if column not in cols:
            cols[column] = [_default_text(field_)] * c.n
    names = [column for column, _f in columns]
    if connection.vendor == "postgresql":
        text = "\n".join(map("\t".join, zip(*(cols[k] for k in names), strict=True)))
        with transaction.atomic(), connection.cursor() as cursor:
            sql = f"COPY dossiers_dossier ({', '.join(names)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                copy.write((text + "\n").encode())
        return
    from govqms.dossiers.models import Dossier

    fields = dict(columns)

    def value(column, text):
        if text == r"\N":
            return None
        return fields[column].to_python(
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if column in TIME_FIELDS or column == "created_at"
            else (text == "t" if column == "reappointed" else text)
        )

    objs = []
    for row in zip(*(cols[k] for k in names), strict=True):
        values = {fields[k].attname: value(k, v) for k, v in zip(names, row, strict=True)}
        objs.append(Dossier(**values))
    Dossier.objects.bulk_create(objs, batch_size=500)


def _write_rollups(w: World, total: RollupSum) -> int:
    """Replace the rollup rows of the generator's units by the summed contributions."""
    from django.db import connection, transaction

    from govqms.kpi.models import MEASURES, DailyRollup
    from govqms.kpi.rollups import GRAINS

    units, procs, days, matrix = total.rows(w)
    ids = [int(i) for i in w.unit_ids]
    with transaction.atomic():
        for grain in GRAINS:  # all written anew (bulk_update of changed rows is far slower)
            grain.model.objects.filter(unit_id__in=ids).delete()
        if connection.vendor == "postgresql":
            cols = [
                units.astype(str).tolist(),
                procs.astype(str).tolist(),
                days.astype(str).tolist(),
            ]
            cols += [matrix[:, i].astype(str).tolist() for i in range(len(MEASURES))]
            columns = ", ".join(("unit_id", "procedure_id", "day", *MEASURES))
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY kpi_dailyrollup ({columns}) FROM STDIN") as copy:
                    step = 200_000
                    for start in range(0, units.size, step):
                        part = [col[start : start + step] for col in cols]
                        copy.write(
                            ("\n".join(map("\t".join, zip(*part, strict=True))) + "\n").encode()
                        )
        else:
            rows = [
                DailyRollup(
                    unit_id=int(u),
                    procedure_id=int(p),
                    day=dt.date.fromisoformat(str(day)),
                    **{m: int(v) for m, v in zip(MEASURES, row, strict=True)},
                )
                for u, p, day, row in zip(units, procs, days, matrix, strict=True)
            ]
            DailyRollup.objects.bulk_create(rows, batch_size=500)
        _coarse(w)
    return int(units.size)


def _coarse(w: World) -> None:
    """The coarse rollup grains (month; whole unit) from the daily rows just written, with the
    product's own `coarse_rebuild`; checked on reuse (a dataset written before the coarse
    grains existed gets them then)."""
    from django.db.models import Sum

    from govqms.kpi import rollups
    from govqms.kpi.models import DailyRollup, UnitMonthlyRollup

    ids = [int(i) for i in w.unit_ids]
    daily = DailyRollup.objects.filter(unit_id__in=ids).aggregate(n=Sum("received"))["n"]
    coarse = UnitMonthlyRollup.objects.filter(unit_id__in=ids).aggregate(n=Sum("received"))["n"]
    if daily != coarse:
        rollups.coarse_rebuild(unit=w.province)


# --- DuckDB: raw events and dossier facts ---------------------------------------------------

EVENT_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    dossier BIGINT, seq SMALLINT, kind VARCHAR, occurred_at TIMESTAMP, unit_id BIGINT,
    procedure_id BIGINT, channel VARCHAR, due_at TIMESTAMP, step VARCHAR
)"""
FACT_TABLE = """
CREATE TABLE IF NOT EXISTS dossiers (
    dossier BIGINT, unit_id BIGINT, procedure_id BIGINT, channel VARCHAR, status VARCHAR,
    submitted_at TIMESTAMP, received_at TIMESTAMP, due_at TIMESTAMP, finished_at TIMESTAMP,
    returned_at TIMESTAMP, closed_at TIMESTAMP, reappointed BOOLEAN, paused_seconds BIGINT,
    timeliness VARCHAR
)"""


def _sql_list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def duckdb_path(directory: Path | None = None) -> Path:
    folder = Path(directory or os.environ.get("BENCH_KPI_DIR") or ROOT / "data" / "bench-kpi")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "kpi-events.duckdb"


def duckdb_reset(con, w: World) -> None:
    con.execute("DROP TABLE IF EXISTS events")
    con.execute("DROP TABLE IF EXISTS dossiers")
    con.execute(EVENT_TABLE)
    con.execute(FACT_TABLE)
    con.execute("CREATE OR REPLACE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    b = w.bulk
    sessions = {
        "start_us": b.starts,
        "len_us": b.ends - b.starts,
        "cum_start": b.cum_start,
    }
    con.register("sessions_np", sessions)
    con.execute("CREATE OR REPLACE TABLE sessions AS SELECT * FROM sessions_np ORDER BY start_us")
    con.unregister("sessions_np")
    units = {
        "unit_id": np.array(list(w.unit_paths), dtype=np.int64),
        "path": np.array(list(w.unit_paths.values()), dtype=object),
    }
    con.register("units_np", units)
    con.execute("CREATE OR REPLACE TABLE units AS SELECT * FROM units_np")
    con.unregister("units_np")


def _write_duckdb(con, w: World, c: Chunk) -> None:
    e, d = c.e, c.d
    chunk = {
        "dossier": c.base + e["local"],
        "seq": e["seq"],
        "kind": e["kind"].astype(np.int16),
        "t": e["t"].view("datetime64[us]"),
        "unit_id": w.unit_ids[d["unit"][e["local"]]],
        "procedure_id": w.proc_ids[d["proc"][e["local"]]],
        "channel": e["channel"].astype(np.int16),
        "due": e["due"].view("datetime64[us]"),
        "step": e["step"].astype(np.int16),
    }
    con.register("ev_np", chunk)
    con.execute(
        f"""INSERT INTO events SELECT dossier, seq, {_sql_list(KINDS)}[kind + 1], t, unit_id,
        procedure_id, CASE WHEN channel >= 0 THEN {_sql_list(CHANNELS)}[channel + 1] END, due,
        CASE WHEN step > 0 THEN 'B' || step END FROM ev_np"""  # noqa: S608 (constants)
    )
    con.unregister("ev_np")
    facts = {
        "dossier": c.base + np.arange(c.n, dtype=np.int64),
        "unit_id": w.unit_ids[d["unit"]],
        "procedure_id": w.proc_ids[d["proc"]],
        "channel": d["channel"].astype(np.int16),
        "status": d["status"].astype(np.int16),
        "timeliness": d["timeliness"].astype(np.int16),
        "reappointed": d["reappointed"],
        "paused_seconds": d["paused_seconds"],
    }
    for name in (
        "submitted_at",
        "received_at",
        "due_at",
        "finished_at",
        "returned_at",
        "closed_at",
    ):
        facts[name] = d[name].view("datetime64[us]")
    con.register("facts_np", facts)
    con.execute(
        f"""INSERT INTO dossiers SELECT dossier, unit_id, procedure_id,
        {_sql_list(CHANNELS)}[channel + 1], {_sql_list(STATUSES)}[status + 1], submitted_at,
        received_at, due_at, finished_at, returned_at, closed_at, reappointed, paused_seconds,
        {_sql_list(TIMELINESS)}[timeliness + 1] FROM facts_np"""  # noqa: S608 (constants)
    )
    con.unregister("facts_np")


# --- The marker and the whole dataset ---------------------------------------------------------


def _marker_read() -> dict | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name VARCHAR(40) PRIMARY KEY, value TEXT)"
        )
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["dataset"])  # noqa: S608
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _marker_write(value: dict) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", ["dataset"])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)",  # noqa: S608
            ["dataset", json.dumps(value)],
        )


def _duck_meta(con) -> dict | None:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()
    except Exception:  # no table yet
        return None
    return json.loads(row[0]) if row else None


def _duck_meta_write(con, value: dict) -> None:
    con.execute("DELETE FROM meta WHERE key = 'dataset'")
    con.execute("INSERT INTO meta VALUES ('dataset', ?)", [json.dumps(value)])


def _wipe(w: World) -> None:
    from django.db import connection, transaction

    from govqms.dossiers.models import Dossier
    from govqms.kpi.rollups import GRAINS

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM dossiers_dossier WHERE source = %s", [SOURCE])
        else:
            Dossier.objects.filter(source=SOURCE).delete()
        for grain in GRAINS:
            grain.model.objects.filter(unit_id__in=[int(i) for i in w.unit_ids]).delete()


def _analyze() -> None:
    """VACUUM the two tables the load rewrote (a rebuild deletes millions of rows, and every
    size step replaces the rollup rows: dead tuples would slow every scan until autovacuum
    came by) and refresh the planner's statistics, also for the tree and the catalogue."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run inside a transaction (the test suite's): ANALYZE alone there.
    vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in (
            "dossiers_dossier",
            "kpi_dailyrollup",
            "kpi_monthlyrollup",
            "kpi_unitdailyrollup",
            "kpi_unitmonthlyrollup",
        ):
            cursor.execute(f"{vacuum} {table}")
        for table in (
            "org_orgunit",
            "org_unitsuccession",
            "procedures_procedure",
            "procedures_procedureversion",
        ):
            cursor.execute(f"ANALYZE {table}")


def dataset_ensure(
    size: int,
    *,
    seed: int = 20260401,
    directory: Path | None = None,
    log=None,
    w: World | None = None,
    **world_options,
) -> dict[str, Any]:
    """Make the database and the DuckDB file hold exactly the first `size` dossiers (reused
    when already there, extended when a smaller prefix is there, else rebuilt). `w`: the
    world if the caller has it (else set up here with `world_options`)."""
    import duckdb
    from django.db import connection

    from govqms.dossiers.models import Dossier

    log = log or (lambda *a: None)
    started = time.perf_counter()
    w = w if w is not None else world(seed, **world_options)
    setup_seconds = time.perf_counter() - started
    path = duckdb_path(directory)
    con = duckdb.connect(str(path))
    try:
        pg, dd = _marker_read(), _duck_meta(con)
        held = 0
        if (
            pg
            and dd
            and pg == dd
            and pg.get("fingerprint") == w.fingerprint
            and pg.get("complete")
            and Dossier.objects.filter(source=SOURCE).count() == pg["size"]
        ):
            held = int(pg["size"])
        info = {
            "size": size,
            "seed": seed,
            "fingerprint": w.fingerprint,
            "duckdb": str(path),
            "database": connection.vendor,
            "units": int(w.unit_ids.size),
            "wards": w.n_wards,
            "procedures": int(w.proc_ids.size),
            "setup_seconds": round(setup_seconds, 2),
        }
        if held == size:
            _coarse(w)
            info.update(pg, reused=True)
            return info
        if held > size:
            held = 0
        if held == 0:
            log(f"kpi_synth: generating {size:,} dossiers from scratch")
            _wipe(w)
            duckdb_reset(con, w)
        else:
            log(f"kpi_synth: extending {held:,} -> {size:,} dossiers")
        state = {"fingerprint": w.fingerprint, "size": held, "complete": False}
        _marker_write(state)
        _duck_meta_write(con, state)
        gen = pg_s = duck_s = roll_s = 0.0
        total = RollupSum()
        events = 0
        chunks = -(-size // CHUNK)
        for k in range(chunks):
            t0 = time.perf_counter()
            chunk = chunk_generate(w, k).head(size - k * CHUNK)
            keys, vals = chunk_contributions(w, chunk)
            total.add(keys, vals)
            gen += time.perf_counter() - t0
            events += int(chunk.e["local"].size)
            new = chunk.tail(held - k * CHUNK)
            if held - k * CHUNK >= chunk.n:
                continue
            t0 = time.perf_counter()
            _write_dossiers(w, new)
            pg_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            _write_duckdb(con, w, new)
            duck_s += time.perf_counter() - t0
            if k % 10 == 9:
                log(f"kpi_synth: {min(size, (k + 1) * CHUNK):,} dossiers")
        t0 = time.perf_counter()
        rollup_rows = _write_rollups(w, total)
        _analyze()
        con.execute("CHECKPOINT")
        roll_s = time.perf_counter() - t0
        state = {
            "fingerprint": w.fingerprint,
            "size": size,
            "complete": True,
            "events": events,
            "rollup_rows": rollup_rows,
        }
        _marker_write(state)
        _duck_meta_write(con, state)
        info.update(
            state,
            reused=False,
            extended_from=held,
            generate_seconds=round(gen, 2),
            postgres_copy_seconds=round(pg_s, 2),
            duckdb_load_seconds=round(duck_s, 2),
            rollups_write_seconds=round(roll_s, 2),
        )
        return info
    finally:
        con.close()


def dataset_drop(*, seed: int = 20260401, directory: Path | None = None) -> None:
    """Remove the synthetic dossiers, their rollup rows, the marker and the DuckDB file (the
    tree and the procedures stay: they are ordinary, reusable catalogue data)."""
    from django.db import connection

    w = world(seed)
    _wipe(w)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
    _analyze()
    path = duckdb_path(directory)
    if path.exists():
        path.unlink()


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govqms.settings")
    if sys.argv[1:] == ["calibrate"]:
        import django

        django.setup()
        print(json.dumps(calibrate(), indent=1))
    elif sys.argv[1:] == ["drop"]:
        os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/govqms_bench")
        import django

        django.setup()
        dataset_drop()
    else:
        print(__doc__)
