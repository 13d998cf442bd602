"""KPIs: indicators as data, the Decision 766/QĐ-TTg scoreboard, statistical process control.

The modules here are pure (no ORM import): `indicators`, `items766`, `score766`, `spc`.
See docs/kpi.md and docs/spc.md.
"""
