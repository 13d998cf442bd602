"""KPI figures at province scale: `kpi.selectors.indicator_report` against DuckDB.

For each size N (dossiers in a synthetic province-year, `bench/kpi_synth.py`; ~10 events each),
the dataset is generated, extended from a smaller one, or reused (a marker records what the
database and the DuckDB file hold). Then `queries` random figures are drawn (seeded, the same
for every size): a unit's subtree — the province (15 %), a ward (60 %) or a department (25 %) —,
a period (day, ISO week, month, quarter or year of 2026, equally likely) and a procedure (half
of them; drawn by popularity among those the unit handles) or none.

* **ours**: `selectors.indicator_report(figure=...)`, two passes over the figures: *cold*
  (each unit's reference lookups built on its first figure, as after a restart) and *warm* (the
  same figures again, as a running server answers them; the headline numbers and ratios) — every
  registry indicator: the rollup sums
  (monthly rows for the whole months, daily rows for the edge days), the open-dossier snapshot at
  the dataset's NOW (the Dossier table's partial index of open dossiers), the scope and due-soon
  look-ups. Wall time per figure; p50 / p95 / p99 in ms; the time of the
  two main queries is also recorded separately (`rollup_counts`, `snapshot_counts`).
* **duckdb_events** (the baseline the issue names): DuckDB scanning the raw events for the same
  counts — dossiers with a dated event in the period (submitted, received, refused, finished,
  returned, withdrawn, stopped) in the subtree, their events folded per dossier (receipt,
  channel, finish, return, closing, last due date, re-appointment), processing time on the
  working calendar (an ASOF join of the events on the office sessions: W(finish) − W(receipt)
  − the paused working time), timeliness, the histogram bins.
* **duckdb_facts** (a stronger baseline): DuckDB over one row per dossier (the Dossier table's
  derived columns), same counts.

Every rollup measure (received, online, submitted, finished early / on time / late /
re-appointed, processing seconds and its 14 bins, returned, refused, withdrawn, stopped) is
compared between ours and each baseline, figure by figure: `identical` is true only when every
number of every figure agrees; `mismatches` counts the figures that differ. The snapshot
counts (open within limit / due soon / overdue) are not compared (they are not a function of
the period). `ratio_p50` = duckdb p50 / ours p50 on the same figures (above 1: ours faster).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/govqms_bench .venv/bin/python -m bench kpi
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

from . import kpi_synth as synth

QUICK = {"sizes": (50_000,), "queries": 50}
PERIODS = ("day", "week", "month", "quarter", "year")
UNIT_KINDS = (("province", 0.15), ("ward", 0.60), ("department", 0.25))
DATED_KINDS = "('submitted', 'received', 'refused', 'finished', 'returned', 'withdrawn', 'stopped')"


# --- Figures ----------------------------------------------------------------------------------


def _figures(w: synth.World, count: int, seed: int) -> list[dict[str, Any]]:
    from govqms.kpi.selectors import period_bounds

    rng = np.random.default_rng([seed, 2])
    kinds = [k for k, _ in UNIT_KINDS]
    probs = np.array([p for _, p in UNIT_KINDS])
    n_depts = len(w.unit_ids) - w.n_wards
    if n_depts == 0:
        probs[2] = 0
    probs = probs / probs.sum()
    year_days = (dt.date(synth.YEAR + 1, 1, 1) - dt.date(synth.YEAR, 1, 1)).days
    pdf = []
    for level in (0, 1):
        cdf = w.level_cdf[level]
        pdf.append(np.diff(np.r_[0.0, cdf]) if cdf.size else cdf)
    figures = []
    for _ in range(count):
        kind = kinds[rng.choice(len(kinds), p=probs)]
        if kind == "province":
            unit_id = int(w.province.pk)
            level = int(rng.random() >= synth.ASSUMPTIONS["ward_share"])
            candidates, weights = w.level_procs[level], pdf[level]
        elif kind == "ward":
            unit_id = int(w.unit_ids[rng.integers(w.n_wards)])
            candidates, weights = w.level_procs[0], pdf[0]
        else:
            dept = int(rng.integers(n_depts))
            unit_id = int(w.unit_ids[w.n_wards + dept])
            mine = w.proc_dept[w.level_procs[1]] == dept
            candidates, weights = w.level_procs[1][mine], pdf[1][mine]
        procedure = None
        if rng.random() < 0.5 and candidates.size:
            p = weights / weights.sum()
            procedure = int(w.proc_ids[candidates[rng.choice(candidates.size, p=p)]])
        period = PERIODS[rng.integers(len(PERIODS))]
        anchor = dt.date(synth.YEAR, 1, 1) + dt.timedelta(days=int(rng.integers(year_days)))
        start, end = period_bounds(period, anchor)
        figures.append(
            {
                "unit_id": unit_id,
                "unit_kind": kind,
                "procedure_id": procedure,
                "period": period,
                "start": start,
                "end": end,
            }
        )
    return figures


def _instants(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end + 1 day 00:00) local, as naive UTC (DuckDB TIMESTAMP columns)."""
    offset = dt.timedelta(hours=7)
    a = dt.datetime.combine(start, dt.time()) - offset
    b = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) - offset
    return a, b


# --- DuckDB ----------------------------------------------------------------------------------


def _measure_sql(source: str) -> str:
    """The SELECT list computing every rollup measure from per-dossier columns."""
    from govqms.kpi.models import HISTOGRAM_FIELDS, MEASURES
    from govqms.kpi.rollups import HISTOGRAM_EDGES_SECONDS

    inp = "{c} >= $a AND {c} < $b"
    rec, fin = inp.format(c="received_at"), inp.format(c="finished_at")
    sub, ret = inp.format(c="submitted_at"), inp.format(c="returned_at")
    closed = inp.format(c="closed_at")
    early = (
        "finished_at <= due_at AND CAST(finished_at + INTERVAL 7 HOUR AS DATE)"
        " < CAST(due_at + INTERVAL 7 HOUR AS DATE)"
    )
    if source == "facts":
        klass = {k: f"timeliness = '{k}'" for k in ("early", "on_time", "late")}
        closing = "status"
    else:
        klass = {
            "late": "finished_at > due_at",
            "early": early,
            "on_time": f"finished_at <= due_at AND NOT ({early})",
        }
        closing = "closing"
    cols = {
        "received": f"count(*) FILTER (WHERE {rec})",
        "received_online": f"count(*) FILTER (WHERE {rec} AND channel = 'online')",
        "submitted": f"count(*) FILTER (WHERE {sub})",
        "finished": f"count(*) FILTER (WHERE {fin})",
        "finished_early": f"count(*) FILTER (WHERE {fin} AND {klass['early']})",
        "finished_on_time": f"count(*) FILTER (WHERE {fin} AND {klass['on_time']})",
        "finished_late": f"count(*) FILTER (WHERE {fin} AND {klass['late']})",
        "finished_reappointed": f"count(*) FILTER (WHERE {fin} AND reappointed)",
        "processing_seconds": (
            f"coalesce(sum(proc_s) FILTER (WHERE {fin} AND received_at IS NOT NULL), 0)"
        ),
        "returned": f"count(*) FILTER (WHERE {ret})",
    }
    edges = (0, *HISTOGRAM_EDGES_SECONDS, None)
    for i, name in enumerate(HISTOGRAM_FIELDS):
        lo, hi = edges[i], edges[i + 1]
        cond = f"proc_s >= {lo}" + (f" AND proc_s < {hi}" if hi is not None else "")
        cols[name] = f"count(*) FILTER (WHERE {fin} AND received_at IS NOT NULL AND {cond})"
    for status in ("refused", "withdrawn", "stopped"):
        cols[status] = f"count(*) FILTER (WHERE {closing} = '{status}' AND {closed})"
    return ",\n  ".join(f"{cols[m]} AS {m}" for m in MEASURES)


def _w_of(alias: str, column: str) -> str:
    """W(t), the working-time position of an instant, after `ASOF JOIN sessions s`."""
    return f"(s.cum_start + least({alias}.{column} - s.start_us, s.len_us))"


def events_sql() -> str:
    return f"""
WITH scope AS (SELECT unit_id FROM units WHERE starts_with(path, $prefix)),
hit AS (
  SELECT DISTINCT dossier FROM events
  WHERE occurred_at >= $a AND occurred_at < $b AND kind IN {DATED_KINDS}
    AND unit_id IN (SELECT unit_id FROM scope)
    AND ($procedure IS NULL OR procedure_id = $procedure)
),
ev AS (SELECT * FROM events WHERE dossier IN (SELECT dossier FROM hit)),
d AS (
  SELECT dossier,
    max(occurred_at) FILTER (WHERE kind = 'submitted') AS submitted_at,
    max(occurred_at) FILTER (WHERE kind = 'received') AS received_at,
    any_value(channel) FILTER (WHERE kind = 'received') AS channel,
    max(occurred_at) FILTER (WHERE kind = 'finished') AS finished_at,
    max(occurred_at) FILTER (WHERE kind = 'returned') AS returned_at,
    max(occurred_at) FILTER (WHERE kind IN ('refused', 'withdrawn', 'stopped')) AS closed_at,
    any_value(kind) FILTER (WHERE kind IN ('refused', 'withdrawn', 'stopped')) AS closing,
    arg_max(due_at, seq) FILTER (WHERE due_at IS NOT NULL) AS due_at,
    bool_or(kind = 'reappointed') AS reappointed
  FROM ev GROUP BY dossier
),
marks AS (
  SELECT dossier, kind, epoch_us(occurred_at) AS t FROM ev
  WHERE kind IN ('received', 'finished', 'supplement_requested', 'supplement_provided',
                 'financial_requested', 'financial_fulfilled')
    AND dossier IN (SELECT dossier FROM d WHERE finished_at >= $a AND finished_at < $b)
),
wt AS (
  SELECT m.dossier,
    sum(CASE WHEN m.kind IN ('finished', 'supplement_requested', 'financial_requested')
             THEN 1 ELSE -1 END * {_w_of("m", "t")}) AS net_us
  FROM marks m ASOF JOIN sessions s ON m.t >= s.start_us
  GROUP BY m.dossier
),
f AS (SELECT d.*, greatest(0, wt.net_us // 1000000) AS proc_s FROM d LEFT JOIN wt USING (dossier))
SELECT
  {_measure_sql("events")}
FROM f"""  # noqa: S608 (built from constants; values are bound parameters)


def facts_sql() -> str:
    dated = " OR ".join(
        f"({c} >= $a AND {c} < $b)"
        for c in ("submitted_at", "received_at", "finished_at", "returned_at", "closed_at")
    )
    return f"""
WITH scope AS (SELECT unit_id FROM units WHERE starts_with(path, $prefix)),
d AS (
  SELECT * FROM dossiers
  WHERE unit_id IN (SELECT unit_id FROM scope)
    AND ($procedure IS NULL OR procedure_id = $procedure) AND ({dated})
),
fr AS (
  SELECT dossier, epoch_us(received_at) AS ra, epoch_us(finished_at) AS fa, paused_seconds
  FROM d WHERE finished_at >= $a AND finished_at < $b AND received_at IS NOT NULL
),
wa AS (
  SELECT fr.dossier, {_w_of("fr", "ra")} AS w
  FROM fr ASOF JOIN sessions s ON fr.ra >= s.start_us
),
wb AS (
  SELECT fr.dossier, {_w_of("fr", "fa")} AS w
  FROM fr ASOF JOIN sessions s ON fr.fa >= s.start_us
),
wt AS (
  SELECT fr.dossier, greatest(0, (wb.w - wa.w) // 1000000 - fr.paused_seconds) AS proc_s
  FROM fr JOIN wa USING (dossier) JOIN wb USING (dossier)
),
f AS (SELECT d.*, wt.proc_s FROM d LEFT JOIN wt USING (dossier))
SELECT
  {_measure_sql("facts")}
FROM f"""  # noqa: S608 (built from constants; values are bound parameters)


def _duck_params(figure: dict, paths: dict[int, str]) -> dict[str, Any]:
    a, b = _instants(figure["start"], figure["end"])
    return {
        "a": a,
        "b": b,
        "prefix": paths[figure["unit_id"]],
        "procedure": figure["procedure_id"],
    }


# --- Timing ----------------------------------------------------------------------------------


def _pct(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None}
    arr = np.asarray(values) * 1000
    return {
        "n": len(values),
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "p99": round(float(np.percentile(arr, 99)), 2),
        "mean": round(float(arr.mean()), 2),
        "max": round(float(arr.max()), 2),
    }


class _PartTimer:
    """Records the time of selectors.rollup_counts / snapshot_counts inside indicator_report."""

    def __init__(self, module, names):
        self.module, self.names, self.originals, self.last = module, names, {}, {}

    def __enter__(self):
        for name in self.names:
            original = getattr(self.module, name)
            self.originals[name] = original

            def timed(*args, _original=original, _name=name, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.last[_name] = time.perf_counter() - started

            setattr(self.module, name, timed)
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(self.module, name, original)


def _ours(figures, units, procedures) -> dict[str, Any]:
    """Two passes over the figures. `cold`: each unit's reference lookups (scope with the merged
    units, working calendar, margins: `kpi.selectors.REFERENCE`) are built the first time the
    unit comes up — as after a restart or a reorganization. `warm`: the same figures again, as a
    running server answers them. Both passes must give the same counts."""
    from govqms.kpi import selectors

    def figure_of(f):
        procedure = procedures[f["procedure_id"]] if f["procedure_id"] else None
        return selectors.Figure(
            units[f["unit_id"]], True, procedure, f["start"], f["end"], synth.NOW
        )

    selectors.REFERENCE.clear()  # a fresh start: nothing kept from an earlier size
    passes = {}
    for name in ("cold", "warm"):
        times, counts = [], []
        parts: dict[str, list[float]] = {"rollup_counts": [], "snapshot_counts": []}
        with _PartTimer(selectors, tuple(parts)) as timer:
            for f in figures:
                figure = figure_of(f)
                started = time.perf_counter()
                report = selectors.indicator_report(figure=figure)
                times.append(time.perf_counter() - started)
                counts.append(report["counts"])
                for part in parts:
                    parts[part].append(timer.last.get(part, 0.0))
        passes[name] = {"times": times, "counts": counts, "parts": parts}
    if passes["cold"]["counts"] != passes["warm"]["counts"]:
        raise AssertionError("the warm pass gave other numbers than the cold one")
    return passes


def _duck(con, sql: str, figures, paths) -> tuple[list[float], list[dict]]:
    from govqms.kpi.models import MEASURES

    for f in figures[:3]:
        con.execute(sql, _duck_params(f, paths)).fetchall()
    times, rows = [], []
    for f in figures:
        params = _duck_params(f, paths)
        started = time.perf_counter()
        row = con.execute(sql, params).fetchone()
        times.append(time.perf_counter() - started)
        rows.append({m: int(v or 0) for m, v in zip(MEASURES, row, strict=True)})
    return times, rows


def _compare(ours: list[dict], theirs: list[dict], figures) -> tuple[int, list]:
    from govqms.kpi.models import MEASURES

    bad, examples = 0, []
    for f, a, b in zip(figures, ours, theirs, strict=True):
        diff = {m: (a[m], b[m]) for m in MEASURES if a[m] != b[m]}
        if diff:
            bad += 1
            if len(examples) < 5:
                example = {k: str(v) for k, v in f.items()}
                examples.append({"figure": example, "ours_vs_duckdb": diff})
    return bad, examples


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def _by(figures, times, key) -> dict[str, dict]:
    groups: dict[str, list[float]] = {}
    for f, t in zip(figures, times, strict=True):
        groups.setdefault(f[key], []).append(t)
    return {k: _pct(v) for k, v in sorted(groups.items())}


def _size_run(w, size, *, queries, duckdb_queries, seed, figure_seed, log) -> dict[str, Any]:
    import duckdb

    from govqms.org.models import OrgUnit
    from govqms.procedures.models import Procedure

    started = time.perf_counter()
    info = synth.dataset_ensure(size, seed=seed, log=log, w=w)
    dataset_seconds = time.perf_counter() - started
    figures = _figures(w, queries, figure_seed)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in={f["unit_id"] for f in figures})}
    procedures = {
        p.pk: p
        for p in Procedure.objects.filter(pk__in={f["procedure_id"] for f in figures} - {None})
    }
    log(f"bench_kpi: {size:,} dossiers: timing {len(figures)} figures (ours, cold then warm)")
    passes = _ours(figures, units, procedures)
    ours_times, ours_counts = passes["warm"]["times"], passes["warm"]["counts"]
    parts = passes["warm"]["parts"]
    cold_times = passes["cold"]["times"]
    sub = figures[:duckdb_queries]
    con = duckdb.connect(info["duckdb"], read_only=True)
    try:
        log(f"bench_kpi: {size:,} dossiers: timing {len(sub)} figures (DuckDB)")
        ev_times, ev_rows = _duck(con, events_sql(), sub, w.unit_paths)
        fa_times, fa_rows = _duck(con, facts_sql(), sub, w.unit_paths)
        version = duckdb.__version__
    finally:
        con.close()
    ev_bad, ev_examples = _compare(ours_counts[: len(sub)], ev_rows, sub)
    fa_bad, fa_examples = _compare(ours_counts[: len(sub)], fa_rows, sub)
    ours_all = _pct(ours_times)
    ours_sub = _pct(ours_times[: len(sub)])
    ev, fa = _pct(ev_times), _pct(fa_times)
    paired = [d / o for d, o in zip(ev_times, ours_times, strict=False) if o]
    return {
        "size": size,
        "events": info.get("events"),
        "rollup_rows": info.get("rollup_rows"),
        "dataset": info,
        "dataset_seconds": round(dataset_seconds, 1),
        "queries": len(figures),
        "ours_ms": ours_all,
        "ours_parts_ms": {k: _pct(v) for k, v in parts.items()},
        "ours_cold_ms": _pct(cold_times),
        "ours_cold_by_unit_ms": _by(figures, cold_times, "unit_kind"),
        "ours_cold_parts_ms": {k: _pct(v) for k, v in passes["cold"]["parts"].items()},
        "ours_by_unit_ms": _by(figures, ours_times, "unit_kind"),
        "ours_by_period_ms": _by(figures, ours_times, "period"),
        "meets_p95_100ms": bool(ours_all["p95"] is not None and ours_all["p95"] <= 100),
        "duckdb_queries": len(sub),
        "ours_on_duckdb_figures_ms": ours_sub,
        "duckdb_events_ms": ev,
        "duckdb_events_by_unit_ms": _by(sub, ev_times, "unit_kind"),
        "duckdb_facts_ms": fa,
        "ratio_p50": _ratio(ev["p50"], ours_sub["p50"]),
        "ratio_p95": _ratio(ev["p95"], ours_sub["p95"]),
        "ratio_per_figure_median": round(statistics.median(paired), 2) if paired else None,
        "ratio_cold_p50": _ratio(ev["p50"], _pct(cold_times[: len(sub)])["p50"]),
        "ratio_cold_p95": _ratio(ev["p95"], _pct(cold_times[: len(sub)])["p95"]),
        "ratio_facts_p50": _ratio(fa["p50"], ours_sub["p50"]),
        "ratio_facts_p95": _ratio(fa["p95"], ours_sub["p95"]),
        "identical": ev_bad == 0 and fa_bad == 0,
        "mismatches_events": ev_bad,
        "mismatches_facts": fa_bad,
        "mismatch_examples": ev_examples + fa_examples,
        "duckdb": version,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def run(
    sizes=(100_000, 500_000, 1_000_000, 2_000_000, 5_000_000),
    queries: int = 200,
    duckdb_queries: int | None = None,
    seed: int = 20260401,
    figure_seed: int = 20260402,
    budget_minutes: float = 30.0,
) -> dict[str, Any]:
    """Each size in turn (ascending: a larger size extends the dataset of the smaller one);
    a size whose projected time would pass `budget_minutes` is skipped and reported."""
    started = time.perf_counter()
    sizes = sorted(int(s) for s in sizes)
    duckdb_queries = queries if duckdb_queries is None else min(duckdb_queries, queries)

    def log(message):
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    w = synth.world(seed)
    log(f"bench_kpi: world ready ({len(w.unit_ids)} units, {len(w.proc_ids)} procedures)")
    results, skipped = [], []
    per_dossier = None  # seconds per dossier of the last size (generation + queries)
    previous = 0
    for size in sizes:
        elapsed = time.perf_counter() - started
        if per_dossier is not None:
            projected = per_dossier * (size - previous) + results[-1]["query_seconds"] * (
                size / previous
            )
            if elapsed + projected > budget_minutes * 60:
                skipped.append({"size": size, "projected_seconds": round(projected)})
                continue
        result = _size_run(
            w,
            size,
            queries=queries,
            duckdb_queries=duckdb_queries,
            seed=seed,
            figure_seed=figure_seed,
            log=log,
        )
        result["query_seconds"] = round(result["wall_seconds"] - result["dataset_seconds"], 1)
        fresh = result["dataset"].get("reused") is False
        if fresh:
            grown = size - result["dataset"].get("extended_from", 0)
            per_dossier = result["dataset_seconds"] / max(grown, 1)
        elif per_dossier is None:
            per_dossier = 60.0 / 1_000_000  # reused: assume ~1 min per million
        previous = size
        results.append(result)
        log(
            f"bench_kpi: {size:,}: ours p95 {result['ours_ms']['p95']} ms, DuckDB events p95 "
            f"{result['duckdb_events_ms']['p95']} ms, ratio p50 {result['ratio_p50']}, "
            f"identical {result['identical']}"
        )
    growth = [
        {
            "size": r["size"],
            "events": r["events"],
            "rollup_rows": r["rollup_rows"],
            "ours_p50_ms": r["ours_ms"]["p50"],
            "ours_cold_p50_ms": r["ours_cold_ms"]["p50"],
            "ours_cold_p95_ms": r["ours_cold_ms"]["p95"],
            "ours_p95_ms": r["ours_ms"]["p95"],
            "ours_p99_ms": r["ours_ms"]["p99"],
            "ours_province_p95_ms": r["ours_by_unit_ms"].get("province", {}).get("p95"),
            "duckdb_events_p50_ms": r["duckdb_events_ms"]["p50"],
            "duckdb_events_p95_ms": r["duckdb_events_ms"]["p95"],
            "duckdb_facts_p95_ms": r["duckdb_facts_ms"]["p95"],
            "ratio_p50": r["ratio_p50"],
            "ratio_p95": r["ratio_p95"],
            "identical": r["identical"],
            "ratio_per_figure_median": r["ratio_per_figure_median"],
        }
        for r in results
    ]
    return {
        "benchmark": "kpi",
        "sizes_run": [r["size"] for r in results],
        "largest_size": max((r["size"] for r in results), default=None),
        "skipped": skipped,
        "queries": queries,
        "identical": all(r["identical"] for r in results) if results else None,
        "target": "p95 <= 100 ms for all indicators of any subtree and period; DuckDB >= 20x",
        "ratio_meaning": "DuckDB time / ours on the same figures (above 1: ours faster)",
        "growth": growth,
        "per_size": results,
        "now": synth.NOW.isoformat(),
        "generator": {"version": synth.VERSION, "seed": seed, "chunk": synth.CHUNK},
    }


if __name__ == "__main__":
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/govqms_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govqms.settings")
    import django

    django.setup()
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    print(json.dumps(run(sizes=(size,), queries=50), indent=2, default=str))
