"""`govqms import-events FILE --source NAME`: dossier events from a CSV or XLSX file
(docs/ingestion.md). Exit code 0: every row landed (or was already stored); 1: some rows were
rejected (the others landed; each is listed); 2: the file could not be read."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from govqms.dossiers import ingest
from govqms.dossiers.tabular import TableError, table_import


class Command(BaseCommand):
    help = (
        "Import dossier events from a CSV (UTF-8) or Excel (.xlsx) file, one event per row. "
        "Idempotent by (source, source_id); bad rows are listed and the rest land."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file (columns: docs/ingestion.md)")
        parser.add_argument("--source", required=True, help="name of the sending system")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--timezone",
            metavar="ZONE",
            help="read date-times without a UTC offset as local times of ZONE "
            "(e.g. Asia/Ho_Chi_Minh); without it they are rejected",
        )
        parser.add_argument(
            "--lifecycle-violations",
            choices=[ingest.REJECT, ingest.NOTE],
            default=ingest.REJECT,
            help="a move the lifecycle refuses: reject the row (default) or keep it as a note",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="import as this user (their scope applies); default: the system",
        )

    def handle(self, *args, **options):
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}", returncode=2)
        try:
            result = table_import(
                actor=actor,
                path=options["file"],
                source=options["source"],
                tz=options["timezone"],
                on_violation=options["lifecycle_violations"],
            )
        except (TableError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        t = result.totals
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(
                f"{result.path}: {t.records} rows — {t.accepted} accepted, "
                f"{t.duplicated} duplicated, {t.rejected} rejected"
                + (f" ({t.noted} kept as notes)" if t.noted else "")
                + f"; dossiers created {t.dossiers_created}, updated {t.dossiers_updated}"
            )
            for error in result.errors:
                self.stdout.write(str(error))
        if t.rejected:
            raise CommandError(
                f"{t.rejected} row(s) rejected; the other rows were imported", returncode=1
            )
