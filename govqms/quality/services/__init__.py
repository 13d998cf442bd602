"""Every write of the quality module: objectives, their measurements, SPC scans and signals.

One transaction per call, an explicit actor (`None` = the system: the nightly task, the CLI),
a permission check (`quality.manage` at the unit) and an audit entry. docs/quality.md.
`objectives` holds the objectives and their measurement, `spc` the scans and the signals.
"""

from ._base import PERM_MANAGE
from .objectives import (
    EDITABLE,
    MEASURED_IDENTITY,
    MeasureResult,
    comparison_for,
    measurement_periods,
    objective_close,
    objective_create,
    objective_measure,
    objective_update,
    objectives_measure,
)
from .spc import (
    LATE_SHARE,
    MAX_EVIDENCE_CODES,
    MIN_POINTS,
    TIME_MEASURES,
    ChartResult,
    ScanResult,
    signal_acknowledge,
    signal_dismiss,
    signal_mark_raised,
    spc_scan,
)

__all__ = [
    "EDITABLE",
    "LATE_SHARE",
    "MAX_EVIDENCE_CODES",
    "MEASURED_IDENTITY",
    "MIN_POINTS",
    "PERM_MANAGE",
    "TIME_MEASURES",
    "ChartResult",
    "MeasureResult",
    "ScanResult",
    "comparison_for",
    "measurement_periods",
    "objective_close",
    "objective_create",
    "objective_measure",
    "objective_update",
    "objectives_measure",
    "signal_acknowledge",
    "signal_dismiss",
    "signal_mark_raised",
    "spc_scan",
]
