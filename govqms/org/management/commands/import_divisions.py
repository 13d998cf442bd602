"""`govqms import-divisions`: load Vietnam's administrative divisions (docs/org-divisions.md)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from govqms.org.divisions import DivisionImportError, divisions_import


class Command(BaseCommand):
    help = (
        "Load today's provinces and communes/wards (vietnam-provinces) and the units that ceased "
        "on 1 July 2025 with their successions (vietnam-address-converter). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            metavar="CODE",
            help="only this province (GSO code, e.g. 01 for Hà Nội) and its former units",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="skip the units that ceased on 1 July 2025 and their successions",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="record the import under this user (needs org.manage); default: system",
        )

    def handle(self, *args, **options):
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}")
        try:
            report = divisions_import(
                actor=actor,
                include_history=not options["no_history"],
                province=options["province"],
            )
        except (DivisionImportError, PermissionDenied) as exc:
            raise CommandError(f"import-divisions failed, nothing was written: {exc}") from exc
        self._print(report)

    def _print(self, r):
        w = self.stdout.write
        sources = ", ".join(f"{k} {v}" for k, v in r.sources.items())
        w(f"Sources: {sources}")
        w(
            f"Scope: {'province ' + r.province if r.province else 'whole country'}"
            f"{'' if r.include_history else ' (no history)'}"
        )
        kinds = ", ".join(f"{k} {v}" for k, v in r.wards_by_kind.items())
        w(f"Current units: {r.provinces} provinces, {r.wards} communes/wards ({kinds})")
        if r.include_history:
            w(
                f"Historical units (ceased 2025-07-01): {r.historical_provinces} provinces, "
                f"{r.historical_districts} districts, {r.historical_wards} communes/wards/townships"
            )
            w(f"Successions: {r.successions}")
            w(
                f"New wards matched by name: {r.matched_exact} exact, "
                f"{r.matched_normalized} after normalization"
                + (f" (e.g. {'; '.join(r.normalized_examples)})" if r.normalized_examples else "")
            )
            w(f"Unmatched mapping rows: {r.unmatched_rows}")
            for example in r.unmatched_examples:
                w(f"  - {example}")
            if r.old_wards_without_successor:
                w(f"Old wards without a successor: {r.old_wards_without_successor}")
            w(f"Old units skipped (listed, but ceased before the reform): {r.skipped_old_units}")
            for example in r.skipped_examples:
                w(f"  - {example}")
            w(f"Current wards with no recorded predecessor: {r.new_wards_without_predecessor}")
            for example in r.new_wards_without_predecessor_examples:
                w(f"  - {example}")
        w(f"Units: created {r.created}, updated {r.updated}, unchanged {r.unchanged}")
        w(
            f"Successions: created {r.successions_created}, updated {r.successions_updated}, "
            f"unchanged {r.successions_unchanged}"
        )
        audit = f"audit entry #{r.audit_seq}" if r.audit_seq else "nothing changed, no audit entry"
        self.stdout.write(self.style.SUCCESS(f"Done in {r.seconds:.1f} s; {audit}."))
