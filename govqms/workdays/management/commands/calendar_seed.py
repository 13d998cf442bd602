"""`govqms calendar-seed --years 2024-2027`: load the Vietnam calendar (holidays + official day
swaps) into the database. Idempotent; admin corrections are kept."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from govqms.workdays.services import calendar_seed


def parse_years(text: str) -> list[int]:
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        first, _, last = part.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError as exc:
            raise CommandError(
                f"--years: cannot read {part!r} (e.g. 2024-2027 or 2025,2026)"
            ) from exc
        if not 1990 <= lo <= hi <= 2100:
            raise CommandError(f"--years: {part!r} is not a range of years between 1990 and 2100")
        years.update(range(lo, hi + 1))
    return sorted(years)


class Command(BaseCommand):
    help = "Seed a holiday calendar (default VN) for the given years."

    def add_arguments(self, parser):
        parser.add_argument("--years", required=True, help="e.g. 2024-2027 or 2025,2026")
        parser.add_argument("--code", default="VN", help="country code (default VN)")

    def handle(self, *args, **options):
        years = parse_years(options["years"])
        try:
            result = calendar_seed(actor=None, years=years, code=options["code"])
        except (ValidationError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.calendar.code}: {result.created} created, {result.updated} updated, "
            f"{result.retired} retired, {result.kept_admin} admin rows kept"
        )
