"""A figure broken down by the child units of its unit, and indicators from raw counts: the
grouped reads of the roll-up page (`kpi.views`) and the public portal (`portal.figures`).

`children_counts` reads the rollups grouped by unit (`selectors.grouped_counts`) and the open
dossiers grouped by competent unit (`selectors.snapshot_by_unit`), then gives each row to the
child whose subtree — or merged history — holds it, so the children add up to the total."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from govqms.dossiers.selectors import INTERNAL_KINDS
from govqms.org.models import OrgUnit

from . import indicators, selectors
from .models import HISTOGRAM_FIELDS, MEASURES


def child_units(unit: OrgUnit) -> list[OrgUnit]:
    """Today's child units that decide dossiers (internal divisions and centres do not)."""
    return list(
        OrgUnit.objects.current()
        .filter(parent=unit)
        .exclude(kind__in=INTERNAL_KINDS)
        .order_by("name", "code")
    )


def owner_of(children: list[OrgUnit], *, moved: Mapping[int, tuple[str, int, str]] | None = None):
    """path → id of the child whose figure counts a unit at that path: its own subtree, or a
    closed unit whose history it carries (`moved_units`, as `unit_scope` does)."""
    moved = selectors.moved_units() if moved is None else moved
    owners = {child.path: child.pk for child in children}
    for closed_path, _, target_path in moved.values():
        for child in children:
            if target_path.startswith(child.path):
                owners.setdefault(closed_path, child.pk)

    def owner(path: str) -> int | None:
        parts = path.strip("/").split("/")
        for i in range(len(parts), 0, -1):
            found = owners.get("/" + "/".join(parts[:i]) + "/")
            if found is not None:
                return found
        return None

    return owner


def children_counts(
    user, figure: selectors.Figure, children: list[OrgUnit], *, snapshot: bool = True
) -> tuple[dict[int | None, dict[str, int]], dict[str, int]]:
    """({child id (None: the rest of the figure): counts}, the figure's counts) from one grouped
    rollup read (and one grouped snapshot query): the children's counts add up to the total.

    The open-dossier classes use the parent figure's due-soon thresholds (docs/rollups.md §5)."""
    owner = owner_of(children, moved=figure.moved)
    paths = figure.unit_paths
    names = (*MEASURES, *(selectors.SNAPSHOT_INPUTS if snapshot else ()))
    per: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    total = dict.fromkeys(names, 0)
    parts = [selectors.grouped_counts(user=user, figure=figure, by=("unit_id",))]
    if snapshot:
        open_by_unit = selectors.snapshot_by_unit(user=user, figure=figure)
        parts.append({(unit_id,): counts for unit_id, counts in open_by_unit.items()})
    for part in parts:
        for (unit_id,), counts in part.items():
            bucket = per[owner(paths[unit_id])]
            for name, n in counts.items():
                bucket[name] += n
                total[name] += n
    return dict(per), total


def results_from_counts(counts: Mapping[str, int]) -> dict[str, indicators.Result]:
    """Every registry indicator whose inputs the counts provide (the processing-time sample
    from the rollup sums, as `indicator_report` does)."""
    out = {}
    finished = sum(counts.get(f, 0) for f in HISTOGRAM_FIELDS)
    for code, indicator in indicators.REGISTRY.items():
        if selectors.SAMPLE_INPUT in indicator.inputs:
            if "processing_seconds" not in counts:
                continue
            if code == "AVG_PROCESSING_DAYS":
                days = counts["processing_seconds"] / selectors.DAY
                out[code] = indicators.Result(days, finished, days / finished if finished else None)
            elif code == "MEDIAN_PROCESSING_DAYS":
                bins = [counts.get(f, 0) for f in HISTOGRAM_FIELDS]
                out[code] = indicators.Result(None, finished, selectors.median_estimate(bins))
            continue
        if all(name in counts for name in indicator.inputs):
            out[code] = indicator.compute({n: counts[n] for n in indicator.inputs})
    return out
