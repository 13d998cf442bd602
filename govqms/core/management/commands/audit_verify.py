from django.core.management.base import BaseCommand, CommandError

from govqms.core.audit import audit_verify


class Command(BaseCommand):
    help = "Walk the hash-chained audit log and name the first broken link (exit 1 if broken)."

    def handle(self, *args, **options):
        count, brk = audit_verify()
        if brk is not None:
            raise CommandError(f"audit chain BROKEN at entry #{brk.seq}: {brk.reason} ({count} ok)")
        self.stdout.write(self.style.SUCCESS(f"audit chain OK: {count} entries verified"))
