"""Public small-count suppression on a big month: `disclosure.suppress` against the classic audit.

A province of 150 units and 300 procedures by default: dossiers drawn unit by unit over a few
procedures each, so that about 30 % of the counts are small (1 … k − 1); the cells (the
published counts and the unpublished in-person count) and the relations are the real ones of
`portal.figures`.

* **ours**: `disclosure.suppress` (the primary cells, then partners until the exact LP check
  over directions, `disclosure.pinned`, finds no hidden cell a reader could work out), median of
  `runs`.
* **baseline — the range audit** (how statistical offices audit a suppressed table, e.g.
  τ-ARGUS): for every hidden cell of ours (but the unpublished ones that are not small), the
  smallest and the largest value it can take over the assignments the page allows — two LPs per
  cell over the values. It checks only (it chooses no cell), so it must find no pinned cell in
  ours: `audit_pinned` must be empty.

    .venv/bin/python -m bench suppression          (or --quick: 60 units × 120 procedures)
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

QUICK = {"n_units": 60, "n_procedures": 120, "runs": 3}

K = 5


def page(n_units: int, n_procedures: int, seed: int = 1):
    from govqms.portal import figures

    rng = np.random.default_rng(seed)
    popularity = 1 / np.arange(1, n_procedures + 1) ** 0.6
    popularity /= popularity.sum()
    units = {u: dict.fromkeys(figures.CELLS, 0) for u in range(n_units + 1)}  # + "other"
    procedures = {p: dict.fromkeys(figures.CELLS, 0) for p in range(n_procedures)}
    for u in units:
        size = int(rng.lognormal(1.3, 1.2))
        for p in rng.choice(n_procedures, size=rng.integers(4, 28), p=popularity):
            received = int(rng.geometric(1 / max(1.0, size / 3)))
            online = int(rng.binomial(received, 0.4))
            finished = int(rng.binomial(received, 0.9))
            late = int(rng.binomial(finished, 0.12))
            cell = {
                "received": received,
                "received_online": online,
                "received_in_person": received - online,
                "finished": finished,
                "finished_on_time": finished - late,
                "finished_late": late,
            }
            for column, value in cell.items():
                units[u][column] += value
                procedures[p][column] += value
    total = figures.Row("total", "T", "T", {c: sum(r[c] for r in units.values()) for c in units[0]})
    unit_rows = [figures.Row("unit", str(u), str(u), c) for u, c in units.items()]
    procedure_rows = [
        figures.Row("procedure", str(p), str(p), c)
        for p, c in procedures.items()
        if any(c.values())
    ]
    rows = [total, *unit_rows]
    values = {(r.key, c): r.counts[c] for r in [*rows, *procedure_rows] for c in figures.CELLS}
    unpublished = {(r.key, c) for r in [*rows, *procedure_rows] for c in figures.UNPUBLISHED}
    return values, figures.relations(rows, procedure_rows), unpublished


def pinned_by_range(values, hidden, relations) -> list:
    """Hidden cells whose smallest and largest possible values (hidden cells real ≥ 0, shown
    cells fixed, every sum exact) are the same."""
    cells = sorted(hidden, key=repr)
    index = {c: i for i, c in enumerate(cells)}
    rows, cols, coefs, rhs = [], [], [], []
    for r, rel in enumerate(relations):
        known = 0
        for cell, coef in ((rel.total, 1), *((p, -1) for p in rel.parts)):
            if cell in index:
                rows.append(r)
                cols.append(index[cell])
                coefs.append(coef)
            else:
                known += coef * values[cell]
        rhs.append(-known)
    a_eq = csr_matrix((coefs, (rows, cols)), shape=(len(relations), len(cells)))
    out = []
    for i, cell in enumerate(cells):
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(cells))
            objective[i] = sign
            result = linprog(objective, A_eq=a_eq, b_eq=rhs, bounds=(0, None), method="highs")
            ends.append(result.status == 3 or result.x[i])  # 3: unbounded (no largest value)
        if ends[1] is not True and abs(ends[0] - ends[1]) < 1e-6:
            out.append(cell)
    return out


def run(n_units: int = 150, n_procedures: int = 300, runs: int = 5, k: int = 5) -> dict[str, Any]:
    from govqms.portal import disclosure

    values, relations, unpublished = page(n_units, n_procedures)
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        hidden = disclosure.suppress(values, relations, k, unpublished=unpublished)
        times.append(time.perf_counter() - start)
    audited = {
        c: s
        for c, s in hidden.items()
        if s != disclosure.UNPUBLISHED or disclosure.primary(values[c], k)
    }
    start = time.perf_counter()
    found = [c for c in pinned_by_range(values, hidden, relations) if c in audited]
    audit_seconds = time.perf_counter() - start
    ours = statistics.median(times)
    return {
        "page": {
            "units": n_units,
            "procedures": n_procedures,
            "cells": len(values),
            "unpublished_cells": len(unpublished),
            "small_cells": sum(disclosure.primary(v, k) for v in values.values()),
            "sums": len(relations),
            "k": k,
        },
        "hidden_published_cells": sum(c not in unpublished for c in hidden),
        "hidden_to_protect": sum(s == disclosure.LINKED for s in hidden.values()),
        "ours_seconds_each": [round(t, 4) for t in times],
        "ours_seconds_median": round(ours, 4),
        "baseline": "range audit: smallest and largest value of each hidden cell (2 LPs per cell)",
        "baseline_cells_audited": len(audited),
        "baseline_seconds": round(audit_seconds, 3),
        "ratio": round(audit_seconds / ours, 1) if ours else None,
        "ratio_meaning": "audit time / ours (above 1: ours faster; the audit only checks)",
        "audit_pinned": [repr(c) for c in found],
        "protected": not found,
    }
