"""Small-count suppression for the public figures (Personal Data Protection Law 91/2025/QH15:
never publish a cell small enough to point at a person). Pure: numbers in, decisions out.

The rule (docs/open-data.md §3), for a threshold k (`GOVQMS_PUBLIC_MIN_COUNT`, default 5):

1. **Small counts** (primary suppression). Every count from 1 to k − 1 is hidden. A zero is
   shown: it stands for nobody, and hiding every zero would also hide, say, the 100 % on-time
   rate of a unit with no late dossier (late = finished − on time).
2. **No working it out** (secondary suppression). The cells of a page are tied by sums
   (finished = on time + late in a row; a total row = the sum of the rows above it). If the
   shown cells and those sums leave a hidden cell only one possible value, the smallest shown
   part of a sum it belongs to is hidden too (a zero as well as a larger count, but a zero the
   reader knows anyway — a part of a sum whose total is a shown 0 — only when there is no
   other; of a sum where it is the only hidden cell, if there is one: that sum alone pins it),
   or the sum's total when no part is left; one new cell per sum per round (the sums of the
   pinned cell and of its new partner), until no hidden cell is pinned down.
   Some cells take part in the sums without ever being shown (`unpublished`: in a row,
   received = received online + in person, and a reader knows that the in-person count is
   ≥ 0). They are hidden from the start and never chosen as a second cell; a small one is
   protected like any small count, any other one may be worked out (it is 0 or k and more, and
   it is hidden whatever its value, so its value tells nothing of why other cells are hidden).
3. **One marker.** Every hidden cell reads "x", whatever the reason. A primary holds 1 … k − 1
   and a secondary 0 or k and more: together, every count. So a reader who knows the rule learns
   of an "x" only that it is a count (≥ 0) — not whether it is small. (Two markers, "<k" for
   0 … k − 1 and "x" for k or more, told the reader too much: three rows of (1 on time, 1 late)
   with k = 3 could not be protected at all.)

Derived values (a percentage, an average) are hidden by `portal.figures`: when a count they
use is hidden, or when they rest on fewer than k dossiers.

**Pinned down** is decided exactly, by linear programming (`pinned`): a hidden cell is pinned
iff every assignment consistent with the page — shown cells fixed, hidden cells real ≥ 0, every
sum exact — gives it the same value. Reals are enough: the sums of a page form a network
(procedure rows → column totals → unit rows; in a row, received = online + in person has the
shape of finished = on time + late, and the in-person cells, never shown, have their column
sums like any other column; the total row's own row sums follow from the others and can be
left out), so their matrix is totally unimodular. Then every direction in which the true
values can move is a sum of moves along cycles of the network, each changing cells by 0 or ±1
with the direction's signs; so a real assignment with another value for a cell implies a
whole-number one (the true values plus one such cycle: it lowers only cells ≥ 1). For
arbitrary `Relation`s that are not a network the check stays exact over the reals, and the
whole-number claim may not hold.

`suppress(values, relations, k, unpublished=…)` returns {cell: SMALL | LINKED | UNPUBLISHED}
for the hidden cells (the reasons are for tests and documentation only: every published cell
among them reads "x", see `shown`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

SMALL = "small"  # primary: 1 … k − 1
LINKED = "linked"  # secondary: hidden so that a primary cannot be worked out (0 or ≥ k)
UNPUBLISHED = "unpublished"  # never shown, and not small: may be worked out (0 or ≥ k)
MARK = "x"  # how every hidden cell is shown
TOLERANCE = 1e-6  # a move of a cell in an LP solution larger than this is real

Cell = Hashable


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


def shown(value: int | None, state: str | None) -> str:
    """The text of a count on a public page: "x" for any hidden cell (rule 3)."""
    if state is not None:
        return MARK
    return "" if value is None else str(value)


# --- Pinned cells -------------------------------------------------------------------------------


def pinned(
    values: Mapping[Cell, int],
    hidden: Iterable[Cell],
    relations: Sequence[Relation],
    *,
    watch: Iterable[Cell] | None = None,
    memo: dict[tuple[frozenset, frozenset], list[Cell]] | None = None,
) -> list[Cell]:
    """Hidden cells whose value a reader could work out exactly (shown cells fixed, hidden cells
    ≥ 0, every sum exact). `watch`: the hidden cells to decide (default: all of them; the others
    are unknowns all the same, but whether they are pinned is not worked out).

    The true values x* are a solution and the solutions form a polyhedron, so a hidden cell i is
    free iff some direction d moves it: A d = 0 (shown cells have d = 0), d_j ≥ 0 where
    x*_j = 0 (a count cannot go below zero), d_i ≠ 0. A sum with a single hidden cell whose d is
    not yet known to be 0 fixes that cell (no LP needed); the rest are split into connected
    groups (cells that share a sum) and solved by `_free`. `memo` keeps the answer per group
    between calls with the same values and relations (`suppress` rounds)."""
    hidden = set(hidden)
    watch = hidden if watch is None else hidden & set(watch)
    memo = {} if memo is None else memo
    moving = _drop_lone_cells(hidden, relations)
    out = [c for c in watch if c not in moving]
    for group, sums in _groups(moving, relations):
        asked = [c for c in group if c in watch]
        key = (frozenset(group), frozenset(asked))
        if asked and key not in memo:
            free = _free(group, sums, values, asked)
            memo[key] = [c for c in asked if c not in free]
        out += memo.get(key, [])
    return sorted(out, key=repr)


def _drop_lone_cells(hidden: set[Cell], relations: Sequence[Relation]) -> set[Cell]:
    """The hidden cells left once every sum with one of them alone has fixed it, repeatedly."""
    moving = set(hidden)
    by_cell: dict[Cell, list[Relation]] = {}
    for rel in relations:
        for cell in rel.members():
            if cell in moving:
                by_cell.setdefault(cell, []).append(rel)
    todo = [rel for rel in relations if any(m in moving for m in rel.members())]
    while todo:
        rel = todo.pop()
        left = [m for m in rel.members() if m in moving]
        if len(left) == 1:
            moving.discard(left[0])
            todo += by_cell[left[0]]
    return moving


def _groups(cells: set[Cell], relations: Sequence[Relation]):
    """(cells, their sums) for each connected group of `cells` (two cells are connected when
    they are in the same sum)."""
    parent = {c: c for c in cells}

    def root(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    touching = []
    for rel in relations:
        inside = [m for m in rel.members() if m in parent]
        if inside:
            touching.append((rel, inside[0]))
            for m in inside[1:]:
                parent[root(m)] = root(inside[0])
    groups: dict[Cell, tuple[list[Cell], list[Relation]]] = {}
    for c in cells:
        groups.setdefault(root(c), ([], []))[0].append(c)
    for rel, first in touching:
        groups[root(first)][1].append(rel)
    return [(sorted(g, key=repr), sums) for g, sums in groups.values()]


def _free(
    group: list[Cell], sums: list[Relation], values: Mapping[Cell, int], asked: list[Cell]
) -> set[Cell]:
    """The cells of a group that some direction moves (all of them among `asked`, and maybe
    others).

    Each LP maximises w·d over the directions d (A d = 0; each d_j in [−1, 1], and ≥ 0 for a
    zero) and reports every cell its optimal d moves. First LPs with fixed pseudo-random weights
    on the asked cells not yet seen to move (a zero's weight > 0, the others' of either sign):
    the optimum is a vertex of the box, where most free cells sit at ±1; again while that finds
    new ones. Then each asked cell still not seen to move, alone in the objective: up, and if it
    does not move, down; a cell that moves in neither is pinned. (The weighted LPs cannot
    replace these: cells that must move against their weights' signs, like on time and late
    under a shown finished, may cancel out.)"""
    moves = _Directions(group, sums, values)
    rng = np.random.default_rng(0)  # fixed: the same page always gets the same answer
    index = {c: i for i, c in enumerate(group)}
    asked = set(asked)
    free: set[Cell] = set()
    while True:
        todo = [c for c in group if c in asked and c not in free]
        if not todo:
            return free
        weights = np.zeros(len(group))
        for c in todo:
            sign = 1.0 if values[c] == 0 else rng.choice((-1.0, 1.0))
            weights[index[c]] = sign * rng.uniform(0.5, 1.5)
        found = moves.moved(weights)
        if not found & set(todo):
            break
        free |= found
    for cell in todo:
        for sign in (1.0, -1.0):
            if cell in free:
                break
            objective = np.zeros(len(group))
            objective[index[cell]] = sign
            free |= moves.moved(objective)
    return free


class _Directions:
    """The directions in which the cells of a group can move together: every sum still exact
    (A d = 0, shown cells fixed), a zero not below zero, each move within [−1, 1]."""

    def __init__(self, group: list[Cell], sums: list[Relation], values: Mapping[Cell, int]):
        index = {c: i for i, c in enumerate(group)}
        rows, cols, coefs = [], [], []
        for r, rel in enumerate(sums):
            for cell, coef in ((rel.total, 1.0), *((p, -1.0) for p in rel.parts)):
                if cell in index:
                    rows.append(r)
                    cols.append(index[cell])
                    coefs.append(coef)
        self.group = group
        self.a_eq = csr_matrix((coefs, (rows, cols)), shape=(len(sums), len(group)))
        self.b_eq = np.zeros(len(sums))
        self.bounds = [(0.0 if values[c] == 0 else -1.0, 1.0) for c in group]

    def moved(self, weights: np.ndarray) -> set[Cell]:
        """The cells moved by a direction that maximises weights · d."""
        result = linprog(
            -weights, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bounds, method="highs"
        )
        if result.status != 0:  # d = 0 is always feasible and the box bounds d: not expected
            return set()  # fail closed: nothing proven free, so more cells get hidden
        return {self.group[i] for i, d in enumerate(result.x) if abs(d) > TOLERANCE}


# --- Choosing the hidden cells ------------------------------------------------------------------


def suppress(
    values: Mapping[Cell, int],
    relations: Sequence[Relation],
    k: int,
    *,
    unpublished: Iterable[Cell] = (),
) -> dict[Cell, str]:
    """The hidden cells of a page: {cell: SMALL | LINKED | UNPUBLISHED} (rules 1 and 2 of the
    module doc). `unpublished`: cells that take part in the sums but are never shown; they are
    hidden from the start (SMALL when small, else UNPUBLISHED) and never chosen to protect
    another cell. No SMALL or LINKED cell is left pinned; an UNPUBLISHED one may be."""
    unpublished = set(unpublished)
    for rel in relations:
        for cell in rel.members():
            if cell not in values:
                raise KeyError(f"relation names an unknown cell {cell!r}")
    for cell in unpublished:
        if cell not in values:
            raise KeyError(f"unknown unpublished cell {cell!r}")
    hidden: dict[Cell, str] = {}
    for cell, value in values.items():
        if primary(value, k):
            hidden[cell] = SMALL
        elif cell in unpublished:
            hidden[cell] = UNPUBLISHED
    if SMALL not in hidden.values():
        return hidden
    by_cell: dict[Cell, list[Relation]] = {}
    for rel in relations:
        for cell in rel.members():
            by_cell.setdefault(cell, []).append(rel)
    memo: dict[tuple[frozenset, frozenset], list[Cell]] = {}
    for _round in range(len(values) + 1):
        watch = [c for c, state in hidden.items() if state != UNPUBLISHED]
        stuck = pinned(values, hidden, relations, watch=watch, memo=memo)
        if not stuck:
            return hidden
        added = False
        # One new hidden cell per sum per round, then check again. The sums of a cell that got
        # one are done for the round too: a cell pinned through it (the in-person count of a
        # row whose received is pinned, say) may well be free once it is.
        touched: set[int] = set()
        for cell in stuck:
            sums = _pinning_sums(cell, by_cell.get(cell, []), hidden)
            if any(id(rel) in touched for rel in sums):
                continue
            choice = _second_cell(cell, sums, by_cell, values, hidden)
            if choice is not None:
                hidden[choice] = LINKED
                for member in (choice, cell):
                    touched.update(id(rel) for rel in by_cell.get(member, ()))
                added = True
        if not added:
            break
    return hidden  # only when a pinned cell is connected to no shown cell at all


def _pinning_sums(cell: Cell, sums: list[Relation], hidden) -> list[Relation]:
    """The sums in which `cell` is the only hidden member (each of them alone pins it, and only
    hiding another of its members helps); all its sums when there is none."""
    alone = [rel for rel in sums if not any(m in hidden for m in rel.members() if m != cell)]
    return alone or sums


def _second_cell(
    cell: Cell,
    sums: list[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    values: Mapping[Cell, int],
    hidden,
) -> Cell | None:
    """The smallest shown part of one of `sums` (sums `cell` belongs to); else the smallest
    shown total of one. A zero the reader knows anyway (`_known_zero`) only when there is no
    other. When every member of those sums is hidden already, the same over the sums of those
    members, and so on outwards."""
    seen_cells, seen_sums = {cell}, set()
    layer = list(sums)
    while layer:
        seen_sums.update(id(rel) for rel in layer)
        parts = [p for rel in layer for p in rel.parts if p not in hidden and p != cell]
        totals = [rel.total for rel in layer if rel.total not in hidden and rel.total != cell]
        known = {c for c in (*parts, *totals) if _known_zero(c, by_cell, values, hidden)}
        for pool in (
            [c for c in parts if c not in known],
            [c for c in totals if c not in known],
            parts,
            totals,
        ):
            if pool:
                return min(pool, key=lambda c: (values[c], repr(c)))
        members = {m for rel in layer for m in rel.members()} - seen_cells
        seen_cells |= members
        layer = [
            rel
            for m in sorted(members, key=repr)
            for rel in by_cell.get(m, ())
            if id(rel) not in seen_sums
        ]
        layer = list({id(rel): rel for rel in layer}.values())
    return None


def _known_zero(cell: Cell, by_cell: Mapping[Cell, list[Relation]], values, hidden) -> bool:
    """A zero that is a part of a sum with a shown total of 0: every part of it is 0 (counts are
    ≥ 0), hidden or not, so hiding it protects nothing (the online count of a row that received
    nothing, say)."""
    return values[cell] == 0 and any(
        cell in rel.parts and rel.total not in hidden and values[rel.total] == 0
        for rel in by_cell.get(cell, ())
    )
