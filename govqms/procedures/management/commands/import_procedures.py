"""`govqms import-procedures [FILE] [--limit N]`: load the national procedure catalogue.

Idempotent (upsert by national code). See docs/procedures.md for the rules.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from govqms.procedures.catalogue import RowError
from govqms.procedures.services import catalogue_import

DEFAULT_FILE = Path(settings.PROJECT_DIR).parent / "shared" / "data" / "vn" / "tthc.csv"
SHOW_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Upsert the administrative procedure catalogue from a tthc.csv file "
        f"(default {DEFAULT_FILE}). Good rows land; bad rows are listed by line and field."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help="tthc.csv")
        parser.add_argument("--limit", type=int, metavar="N", help="only the first N rows")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="record the import under this user (needs a global quality.manage scope)",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(
                f"{path}: no such file (the reference data lives in ../shared/data/vn; "
                "give the path to tthc.csv)"
            )
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}")
        try:
            report = catalogue_import(actor=actor, path=path, limit=options["limit"])
        except RowError as exc:
            raise CommandError(f"{path}: {exc}; nothing was written") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc}); nothing was written") from exc
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(f"import-procedures failed, nothing was written: {exc}") from exc
        w = self.stdout.write
        w(f"Read {report.rows} rows from {path}")
        w(
            f"Procedures: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
        w(
            f"Time limits: {report.unknown_unit} with a value but no unit (kept as unknown), "
            f"{report.no_limit} without a limit"
        )
        if report.errors:
            for error in report.errors[:SHOW_ERRORS]:
                self.stderr.write(f"  {path}: {error}")
            more = len(report.errors) - SHOW_ERRORS
            if more > 0:
                self.stderr.write(f"  … and {more} more")
            raise CommandError(
                f"{len(report.errors)} bad rows were skipped (first: {report.errors[0]}); "
                "the other rows were imported"
            )
