"""`govqms rebuild-dossiers [--org CODE]`: recompute every dossier's derived state (status, due
date, timeliness, step records...) from its events with `services.dossier_rebuild`, and report
how many dossiers differed from their stored state before (and in which fields)."""

import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from govqms.dossiers import services
from govqms.dossiers.models import Dossier, StepRecord
from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_by_code

STEP_FIELDS = (
    "step",
    "started_at",
    "finished_at",
    "handler",
    "unit_id",
    "working_seconds",
    "budget_seconds",
)
CHUNK = 500


def _snapshot(dossier_ids) -> dict[int, tuple[dict, list]]:
    fields = [f if f != "competent_unit" else "competent_unit_id" for f in services.DERIVED_FIELDS]
    rows = {d["id"]: d for d in Dossier.objects.filter(pk__in=dossier_ids).values("id", *fields)}
    steps: dict[int, list] = {pk: [] for pk in rows}
    for record in (
        StepRecord.objects.filter(dossier_id__in=dossier_ids)
        .order_by("dossier_id", "started_at", "step", "id")
        .values_list("dossier_id", *STEP_FIELDS)
    ):
        steps[record[0]].append(record[1:])
    return {pk: (rows[pk], steps[pk]) for pk in rows}


class Command(BaseCommand):
    help = "Recompute dossiers' derived state from their events; report how many differed."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="CODE", help="only dossiers of this unit's subtree")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        qs = Dossier.objects.order_by("pk")
        if options["org"]:
            try:
                org = unit_by_code(options["org"])
            except OrgUnit.DoesNotExist as exc:
                raise CommandError(str(exc), returncode=2) from exc
            qs = qs.filter(competent_unit__path__startswith=org.path)
        ids = list(qs.values_list("pk", flat=True))
        calendars = services.CalendarCache()
        now = timezone.now()
        differed, fields, steps_differed = 0, Counter(), 0
        bar = tqdm(
            total=len(ids),
            unit=" dossiers",
            file=sys.stderr,
            disable=options["no_progress"] or options["verbosity"] == 0,
        )
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            before = _snapshot(chunk)
            for dossier in Dossier.objects.filter(pk__in=chunk).select_related(
                "version", "competent_unit"
            ):
                services.dossier_rebuild(dossier=dossier, calendars=calendars, now=now)
            after = _snapshot(chunk)
            for pk, (row, steps) in before.items():
                new_row, new_steps = after[pk]
                changed = [k for k in row if row[k] != new_row[k]]
                if changed or steps != new_steps:
                    differed += 1
                    fields.update(changed)
                    steps_differed += steps != new_steps
            bar.update(len(chunk))
        bar.close()
        self.stdout.write(f"Dossiers rebuilt: {len(ids)}; differed before: {differed}")
        if differed:
            detail = ", ".join(f"{k} {v}" for k, v in fields.most_common())
            self.stdout.write(f"  fields: {detail or '-'}; step records: {steps_differed}")
