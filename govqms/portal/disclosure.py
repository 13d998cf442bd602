"""Small-count suppression for the public figures (Personal Data Protection Law 91/2025/QH15:
never publish a cell small enough to point at a person). Pure: numbers in, decisions out.

The rule (docs/open-data.md §3), for a threshold k (`GOVQMS_PUBLIC_MIN_COUNT`, default 5):

1. **Small counts.** Every count from 1 to k − 1 is hidden and shown as "<k". A zero is shown:
   it stands for nobody, and hiding every zero would also hide, say, the 100 % on-time rate of
   a unit with no late dossier (late = finished − on time).
2. **No working it out.** The cells of a page are tied by sums (finished = on time + late in a
   row; a total row = the sum of the rows above it). If, from those sums, the shown cells and
   what a reader knows of the hidden ones (a "<k" cell holds 0 … k − 1, an "x" cell k or more),
   a hidden cell could only have one value, the smallest shown part of a sum it belongs to is
   hidden too — a zero as "<k", a larger count as "x" — or the sum's total when no part is
   left; repeat until no hidden cell is pinned down. "Pinned down" is decided by interval
   reasoning over the sums (what adding and subtracting rows and columns gives).
3. **Derived values** (a percentage, an average) are hidden when any count they are computed
   from is hidden, or when they rest on fewer than k dossiers.

`suppress(values, relations, k)` returns {cell: SMALL | LINKED} for the hidden cells.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL = "small"  # fewer than k (1 … k − 1, or a zero hidden to protect one): shown as "<k"
LINKED = "linked"  # hidden so that a small cell cannot be worked out: shown as "x"

Cell = Hashable
Bounds = dict[Cell, tuple[float, float]]


@dataclass(frozen=True)
class Relation:
    """total = Σ parts, exactly (every cell a count on the same page)."""

    total: Cell
    parts: tuple[Cell, ...]

    def members(self) -> tuple[Cell, ...]:
        return (self.total, *self.parts)


def primary(value: int, k: int) -> bool:
    """Whether a count is too small to publish (rule 1)."""
    return 0 < value < k


def bounds(
    values: Mapping[Cell, int],
    hidden: Mapping[Cell, str],
    relations: Sequence[Relation],
    k: int,
) -> Bounds:
    """What a reader can deduce about every cell: shown cells are exact, a "<k" cell is in
    [0, k − 1], an "x" cell in [k, ∞); then each sum tightens its members (total within the sum
    of its parts' bounds, each part within total − the others) until nothing changes."""
    out: Bounds = {}
    for cell, value in values.items():
        state = hidden.get(cell)
        if state == SMALL:
            out[cell] = (0.0, float(k - 1))
        elif state == LINKED:
            out[cell] = (float(k), math.inf)
        else:
            out[cell] = (float(value), float(value))
    changed = True
    rounds = 0
    while changed and rounds < 10_000:
        changed = False
        rounds += 1
        for rel in relations:
            if not any(m in hidden for m in rel.members()):
                continue
            lows = [out[p][0] for p in rel.parts]
            highs = [out[p][1] for p in rel.parts]
            low_sum, high_sum = sum(lows), sum(highs)
            t_lo, t_hi = out[rel.total]
            new_total = (max(t_lo, low_sum), min(t_hi, high_sum))
            if new_total != (t_lo, t_hi):
                out[rel.total] = new_total
                changed = True
            t_lo, t_hi = out[rel.total]
            for i, part in enumerate(rel.parts):
                others_hi = (
                    high_sum - highs[i] if math.isfinite(highs[i]) else _sum_except(highs, i)
                )
                others_lo = low_sum - lows[i]
                lo, hi = out[part]
                new = (max(lo, t_lo - others_hi), min(hi, t_hi - others_lo))
                if new != (lo, hi):
                    out[part] = new
                    changed = True
    return out


def _sum_except(values: Sequence[float], skip: int) -> float:
    return sum(v for i, v in enumerate(values) if i != skip)


def pinned(
    values: Mapping[Cell, int],
    hidden: Mapping[Cell, str],
    relations: Sequence[Relation],
    k: int,
) -> list[Cell]:
    """Hidden cells whose value a reader could work out exactly."""
    known = bounds(values, hidden, relations, k)
    return [cell for cell in hidden if known[cell][0] == known[cell][1]]


def suppress(values: Mapping[Cell, int], relations: Sequence[Relation], k: int) -> dict[Cell, str]:
    """The hidden cells of a page: {cell: SMALL | LINKED} (rules 1 and 2 of the module doc)."""
    for rel in relations:
        for cell in rel.members():
            if cell not in values:
                raise KeyError(f"relation names an unknown cell {cell!r}")
    hidden: dict[Cell, str] = {c: SMALL for c, v in values.items() if primary(v, k)}
    if not hidden:
        return hidden
    by_cell: dict[Cell, list[Relation]] = {}
    for rel in relations:
        for cell in rel.members():
            by_cell.setdefault(cell, []).append(rel)
    for _round in range(len(values) + 1):
        stuck = pinned(values, hidden, relations, k)
        if not stuck:
            return hidden
        added = False
        touched: set[int] = set()  # one new "x" per sum per round, then deduce again
        for cell in sorted(stuck, key=repr):
            sums = by_cell.get(cell, ())
            if any(id(rel) in touched for rel in sums):
                continue
            choice = _second_cell(cell, sums, values, hidden)
            if choice is not None:
                # A zero hidden to protect others reads "<k" like a small count (it is < k);
                # anything else reads "x", which therefore always means "k or more".
                hidden[choice] = SMALL if values[choice] < k else LINKED
                touched.update(id(rel) for rel in by_cell.get(choice, ()))
                added = True
        if not added:
            break
    return hidden  # only when every member of its sums is hidden already (k < 3, see tests)


def _second_cell(
    cell: Cell, relations: Iterable[Relation], values: Mapping[Cell, int], hidden: Mapping
) -> Cell | None:
    """The smallest shown part of a sum that `cell` belongs to; else the smallest shown total."""
    parts, totals = [], []
    for rel in relations:
        parts += [p for p in rel.parts if p not in hidden and p != cell]
        if rel.total not in hidden and rel.total != cell:
            totals.append(rel.total)
    for pool in (parts, totals):
        if pool:
            return min(pool, key=lambda c: (values[c], repr(c)))
    return None


def shown(value: int | None, state: str | None, k: int) -> str:
    """The text of a count on a public page."""
    if state == SMALL:
        return f"<{k}"
    if state == LINKED:
        return "x"
    return "" if value is None else str(value)
