from django.core.management.base import BaseCommand

from govqms.demo.services import DEMO_PASSWORD, demo_build


class Command(BaseCommand):
    help = "Build (idempotently) the Hanoi demo: divisions, departments, wards, a user per role."

    def handle(self, *args, **options):
        report = demo_build()
        out = self.stdout
        div = report.divisions
        out.write(
            self.style.SUCCESS(
                f"Demo ready: {report.units_created} units and {report.users_created} users "
                f"created this run. Hanoi: {div.get('wards')} current wards/communes, "
                f"{div.get('historical_districts')} former districts and "
                f"{div.get('historical_wards')} former wards with their successors; "
                f"{report.procedures} procedure versions; "
                f"{report.dossiers_created} dossiers created this run."
            )
        )
        out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, unit in report.logins:
            out.write(f"  {username:<12} {role:<32} {unit}")
        for username, secret in report.totp_secrets.items():
            out.write(
                f"\n{username} must also enter a TOTP code: add secret {secret} to an "
                f"authenticator app, or run  .venv/bin/govqms totp-code {username}"
            )
