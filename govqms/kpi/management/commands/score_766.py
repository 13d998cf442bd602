"""`govqms score-766`: the Decision 766/QĐ-TTg scoreboard from raw counts.

    govqms score-766 --counts docs/examples/counts-766.json
    govqms score-766 --counts counts.json --level commune --json
    govqms score-766 --counts counts.json --scheme decision766-2022 --threshold \\
        SO_HOA_GIAY_TO_GIAI_QUYET=none

The counts file is a JSON object keyed by the national portal's indicator codes (docs/kpi.md).
A bad file, an unknown or a missing code stops with an error that names it.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from govqms.kpi.items766 import DAYS, LEVELS, PERCENT, SCHEMES
from govqms.kpi.score766 import (
    EMPTY_POLICIES,
    NO_PETITION_POLICIES,
    NOT_APPLICABLE_POLICIES,
    CountsError,
    Options,
    Scoreboard,
    load_counts,
    score,
)

LEVEL_VI = {"province": "cấp tỉnh", "commune": "cấp xã"}


def score_766(text: str, *, as_json: bool = False, **options) -> str:
    """The command's work on the file's text: a table, or JSON with `as_json`."""
    try:
        board = score(load_counts(text), Options(**options))
    except CountsError as exc:
        raise CommandError(str(exc)) from exc
    if as_json:
        return json.dumps(board.to_dict(), ensure_ascii=False, indent=2)
    return format_table(board)


def _num(value, width: int) -> str:
    return f"{'—' if value is None else f'{value:.2f}':>{width}}"


def _cells(ind) -> tuple[str, str]:
    """The counts and value cells of one indicator line."""
    entry, value, unit = ind.entry, ind.value, ind.item.unit
    counts = ""
    if entry is not None and entry.denominator is not None:
        counts = f"{entry.numerator:,} / {entry.denominator:,}"
    if value is None:
        return counts, "N/A"
    if unit == PERCENT:
        return counts, f"{value:.2f}%"
    if unit == DAYS:
        return counts, f"{value:.2f} ngày"
    return f"{int(value):,} hồ sơ", ""


def format_table(board: Scoreboard) -> str:
    """A plain-text table: one line per group, indicator and tracked indicator."""
    opts = board.options
    lines = [
        f"Bộ chỉ số 766 — {board.scheme.name}: {board.scheme.title}",
        f"Đánh giá {LEVEL_VI[opts.level]} ({opts.level})",
        "",
        f"{'Nhóm / chỉ số':<38}{'Tử số / mẫu số':>24}{'Tỷ lệ':>12}{'Ngưỡng':>8}"
        f"{'Điểm / tối đa':>17}",
    ]
    for group in board.groups:
        lines.append(
            f"{group.code + '  ' + group.name_vi:<82}"
            f"{_num(group.points, 8)} / {_num(group.max_points, 6)}"
        )
        for ind in group.indicators + group.tracked:
            counts, value = _cells(ind)
            if ind.placement is None:
                points = "theo dõi"
            else:
                points = f"{_num(ind.points, 8)} / {_num(ind.max_points, 6)}"
            threshold = "" if ind.threshold is None else f"{ind.threshold:.0f}%"
            line = f"  {ind.item.code:<36}{counts:>24}{value:>12}{threshold:>8}{points:>17}"
            if ind.scoring not in ("linear", "threshold", "tracked"):
                line += f"  [{ind.scoring}]"
            lines.append(line)
    lines.append(f"{'TỔNG':<82}{_num(board.points, 8)} / {_num(board.max_points, 6)}")
    return "\n".join(lines)


def _threshold(text: str) -> tuple[str, float | None]:
    code, sep, value = text.partition("=")
    if not sep or not code:
        raise CommandError(f"--threshold: expected CODE=PERCENT or CODE=none, got {text!r}")
    if value.strip().lower() in ("none", "null", ""):
        return code.strip(), None
    try:
        return code.strip(), float(value)
    except ValueError as exc:
        raise CommandError(f"--threshold: {value!r} is not a number ({text!r})") from exc


class Command(BaseCommand):
    help = "Score Decision 766/QĐ-TTg from raw counts keyed by the national portal's codes."

    def add_arguments(self, parser):
        parser.add_argument("--counts", required=True, metavar="FILE", help="counts JSON file")
        parser.add_argument("--level", choices=LEVELS, default="province")
        parser.add_argument("--scheme", choices=tuple(SCHEMES), default="portal-2026")
        parser.add_argument("--json", action="store_true", help="print the breakdown as JSON")
        parser.add_argument(
            "--threshold",
            action="append",
            default=[],
            metavar="CODE=PERCENT",
            help="override one indicator's threshold (CODE=none: linear); repeatable",
        )
        parser.add_argument(
            "--commune-not-applicable", choices=NOT_APPLICABLE_POLICIES, default="score"
        )
        parser.add_argument("--no-petitions", choices=NO_PETITION_POLICIES, default="full")
        parser.add_argument("--empty-denominator", choices=EMPTY_POLICIES, default="zero")
        parser.add_argument(
            "--no-sync-rate",
            action="store_true",
            help="do not multiply ONLINE_DOSSIERS by the DOSSIER_SYNC ratio",
        )
        parser.add_argument("--round-ratio-first", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["counts"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--counts: cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"--counts: {path} is not UTF-8 text ({exc.reason})") from exc
        output = score_766(
            text,
            as_json=options["json"],
            scheme=options["scheme"],
            level=options["level"],
            thresholds=dict(_threshold(t) for t in options["threshold"]),
            commune_not_applicable=options["commune_not_applicable"],
            no_petitions=options["no_petitions"],
            empty_denominator=options["empty_denominator"],
            online_share_times_sync_rate=not options["no_sync_rate"],
            round_ratio_first=options["round_ratio_first"],
        )
        self.stdout.write(output)
