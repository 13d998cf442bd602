"""`govqms rebuild-rollups [--org CODE]`: recompute the daily rollups exactly from the dossiers.

Only rows that differ are written; the command prints how many rows changed (created, updated,
deleted). With --org, the unit's subtree only. docs/rollups.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govqms.kpi.rollups import rollups_rebuild
from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_by_code


class Command(BaseCommand):
    help = "Recompute the daily KPI rollups from the dossiers; print how many rows changed."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="unit code: rebuild its subtree only")

    def handle(self, *args, **options):
        unit = None
        if options.get("org"):
            try:
                unit = unit_by_code(options["org"].strip())
            except OrgUnit.DoesNotExist as exc:
                raise CommandError(f"--org: no unit with code {options['org']!r}") from exc
        result = rollups_rebuild(unit=unit)
        self.stdout.write(
            self.style.SUCCESS(
                f"rollups rebuilt: {result.changed} rows changed "
                f"({result.created} created, {result.updated} updated, {result.deleted} deleted; "
                f"{result.unchanged} unchanged) from {result.dossiers} dossiers "
                f"of {result.units} units"
            )
        )
