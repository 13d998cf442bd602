"""The rules of the quality module: an objective's health, and the allowed status changes of
objectives and SPC signals. Pure (no ORM); `services` is the only caller that assigns.

Health of one measurement (docs/quality.md §2), with shortfall = target − value for "≥" and
value − target for "≤":

* no value (a share or an average whose denominator is 0, or inputs not collected yet) →
  ``no_data``;
* shortfall ≤ 0 (the target is met) → ``on_track``;
* the period is still running and the value is short of the target → ``at_risk`` (it trends
  below; it is not final until the period ends);
* a completed period short by no more than the margin → ``at_risk``; by more → ``missed``.

An objective shows the worse of its last completed period and its current period
(missed > at risk > on track); no data only when neither has a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

ON_TRACK, AT_RISK, MISSED, NO_DATA = "on_track", "at_risk", "missed", "no_data"
AT_LEAST, AT_MOST = "gte", "lte"
SEVERITY = {NO_DATA: 0, ON_TRACK: 1, AT_RISK: 2, MISSED: 3}
#: Float noise (e.g. 100·7/8 computed two ways) must not turn "meets the target" into a miss.
TOLERANCE = 1e-9


class TransitionError(ValueError):
    """A status change the lifecycle does not allow."""


def shortfall(value: float, target: Decimal | float, comparison: str) -> float:
    """How far `value` falls short of `target` (≤ 0: met)."""
    if comparison == AT_LEAST:
        return float(target) - value
    if comparison == AT_MOST:
        return value - float(target)
    raise ValueError(f"comparison must be {AT_LEAST!r} or {AT_MOST!r}, got {comparison!r}")


def health(
    *,
    value: float | None,
    target: Decimal | float,
    comparison: str,
    margin: Decimal | float,
    complete: bool,
) -> str:
    """The health of one measured period (module docstring)."""
    if value is None:
        return NO_DATA
    gap = shortfall(value, target, comparison)
    if gap <= TOLERANCE:
        return ON_TRACK
    if not complete or gap <= float(margin) + TOLERANCE:
        return AT_RISK
    return MISSED


def headline(statuses: Iterable[str]) -> str:
    """The objective's status: the worst of its latest measurements, no data if all are."""
    return max(statuses, key=SEVERITY.__getitem__, default=NO_DATA)


# --- Lifecycles ----------------------------------------------------------------------------

OBJECTIVE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "active": frozenset({"closed"}),
    "closed": frozenset(),
}

SIGNAL_OPEN, SIGNAL_ACK, SIGNAL_RAISED, SIGNAL_DISMISSED = (
    "open",
    "acknowledged",
    "raised_nonconformity",
    "dismissed",
)
SIGNAL_TRANSITIONS: Mapping[str, frozenset[str]] = {
    SIGNAL_OPEN: frozenset({SIGNAL_ACK, SIGNAL_DISMISSED, SIGNAL_RAISED}),
    SIGNAL_ACK: frozenset({SIGNAL_DISMISSED, SIGNAL_RAISED}),
    SIGNAL_RAISED: frozenset(),
    SIGNAL_DISMISSED: frozenset(),
}


def transition(table: Mapping[str, frozenset[str]], current: str, target: str) -> str:
    """`target` if the table allows current → target; TransitionError otherwise."""
    if target not in table.get(current, frozenset()):
        raise TransitionError(f"{current} → {target} is not allowed")
    return target
