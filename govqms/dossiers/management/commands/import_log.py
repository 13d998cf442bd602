"""`govqms import-log FILE --org CODE --procedure CODE --mapping FILE`: an XES event log (.xes or
.xes.gz) into dossiers, streamed, idempotent (docs/ingestion.md). Exit code 1 when some events
were rejected (the others landed), 2 when the log or the mapping cannot be read."""

import json
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from govqms.dossiers import ingest
from govqms.dossiers.xes import MappingError, XesError, log_import, mapping_load
from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_by_code


class Command(BaseCommand):
    help = (
        "Import an XES event log into dossiers at an organization unit, mapped by a YAML file "
        "(docs/mappings/). Creates the procedure and its active version if missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xes or .xes.gz")
        parser.add_argument("--org", required=True, metavar="CODE", help="the unit's code")
        parser.add_argument("--procedure", default="", metavar="CODE", help="procedure code")
        parser.add_argument("--mapping", required=True, metavar="FILE", help="YAML mapping")
        parser.add_argument("--source", default="", help="source name (default: the mapping's)")
        parser.add_argument("--batch-size", type=int, default=ingest.MAX_BATCH)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--actor", metavar="USERNAME", help="import as this user")

    def handle(self, *args, **options):
        try:
            mapping = mapping_load(options["mapping"])
        except MappingError as exc:
            raise CommandError(f"mapping: {exc}", returncode=2) from exc
        try:
            org = unit_by_code(options["org"])
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(str(exc), returncode=2) from exc
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}", returncode=2)
        bar = tqdm(
            unit=" cases",
            file=sys.stderr,
            disable=options["no_progress"] or options["verbosity"] == 0,
            desc=options["file"].rsplit("/", 1)[-1],
        )
        try:
            result = log_import(
                actor=actor,
                path=options["file"],
                org=org,
                mapping=mapping,
                procedure_code=options["procedure"],
                source=options["source"],
                batch_size=max(1, min(options["batch_size"], ingest.MAX_BATCH)),
                progress=bar.update,
            )
        except (XesError, MappingError, ValidationError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        finally:
            bar.close()
        self._report(result, options["json"])
        if result.totals.rejected:
            raise CommandError(
                f"{result.totals.rejected} event(s) rejected; the others were imported",
                returncode=1,
            )

    def _report(self, r, as_json: bool) -> None:
        t = r.totals
        if as_json:
            body = {
                "path": r.path,
                "source": r.source,
                "procedure": r.procedure_code,
                "procedure_created": r.procedure_created,
                "calendar": r.calendar,
                "calendar_years_seeded": r.calendar_years_seeded,
                "cases": r.cases,
                "events_read": r.events_read,
                "cases_without_events": r.cases_without_events,
                "ignored": r.ignored,
                **{k: v for k, v in t.as_dict().items() if k not in ("errors", "sha256")},
                "errors": [{"source_id": s, "field": f, "message": m} for s, f, m in r.errors],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        w = self.stdout.write
        created = " (created)" if r.procedure_created else ""
        w(f"{r.path} → source {r.source!r}, procedure {r.procedure_code}{created}")
        years = r.calendar_years_seeded
        w(f"Calendar {r.calendar}" + (f" (seeded {years[0]}–{years[-1]})" if years else ""))
        left_out = f", left out by the mapping: {r.ignored}" if r.ignored else ""
        w(
            f"Cases: {r.cases} ({r.cases_without_events} without events); "
            f"events read: {r.events_read}{left_out}"
        )
        w(
            f"Events: {t.accepted} accepted ({t.noted} kept as notes), {t.duplicated} "
            f"duplicated, {t.rejected} rejected; dossiers created {t.dossiers_created}, "
            f"updated {t.dossiers_updated}"
        )
        for sid, field, message in r.errors[:50]:
            w(f"event {sid}, field {field}: {message}")
        more = max(0, len(r.errors) - 50) + r.errors_dropped
        if more:
            w(f"... and {more} more (--json lists the first {len(r.errors)})")
