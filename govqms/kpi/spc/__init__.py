"""Statistical process control: p-charts, individuals (XmR) charts and the run rules.

Pure: plain functions over sequences of numbers, no ORM, no numpy. See docs/spc.md for the
formulas, the rules and the references.

- `p_chart(defectives, sizes)`: share of defectives per subgroup (e.g. late dossiers per unit
  and week), p̄ = Σd/Σn, per-subgroup 3σ limits σᵢ = √(p̄(1−p̄)/nᵢ), LCL floored at 0 and UCL
  capped at 1. The zone rules run on zᵢ = (pᵢ − p̄)/σᵢ, so a variable n is handled.
- `xmr_chart(values)`: individuals X with moving ranges MRᵢ = |xᵢ − xᵢ₋₁|, limits
  X̄ ± 2.66·MR̄, MR chart UCL = 3.267·MR̄; σ̂ = 2.66·MR̄/3 (= MR̄/1.128) sets the zones.
- `run_rules(z, values, rules)`: the eight Nelson rules, or the Western Electric subset
  (`WESTERN_ELECTRIC`: Nelson 1, 5, 6 and 2 with a run of 8).

Every `Signal` carries its evidence (indices, values, z, centre and limits of each point) and
`to_dict()` is JSON-able, so the quality module can raise a nonconformity that cites it.

Limits are estimated from all points unless `baseline` (the first k points, phase I) or
`exclude` (points with an assignable cause) say otherwise, or the centre line and spread are
given (`p_bar`; `center`/`mr_bar`) for phase II monitoring.
"""

from .charts import D4, E2, PChart, XmRChart, p_chart, xmr_chart
from .evidence import Point, Signal
from .rules import (
    NELSON,
    RULE_NAMES,
    WE_NUMBER,
    WESTERN_ELECTRIC,
    Hit,
    RuleSet,
    rule_names,
    run_rules,
)

__all__ = [
    "D4",
    "E2",
    "NELSON",
    "RULE_NAMES",
    "WESTERN_ELECTRIC",
    "WE_NUMBER",
    "Hit",
    "PChart",
    "Point",
    "RuleSet",
    "Signal",
    "XmRChart",
    "p_chart",
    "rule_names",
    "run_rules",
    "xmr_chart",
]
