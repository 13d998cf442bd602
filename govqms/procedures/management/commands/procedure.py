"""`govqms procedure export|import`: a procedure version as a readable YAML file or BPMN 2.0.

    govqms procedure export 1.001193 --unit 00070 [--version N] [FILE | -] [--bpmn FILE.bpmn]
    govqms procedure import FILE.yaml [--activate]
    govqms procedure import FILE.bpmn [--procedure CODE] [--unit CODE] [--limit 5wd] [--activate]

The file format and the BPMN mapping: docs/procedures.md.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from govqms.accounts.roles import Role
from govqms.procedures import selectors, services
from govqms.procedures.bpmn import dump_bpmn, load_bpmn
from govqms.procedures.models import ProcedureVersion
from govqms.procedures.specs import SpecError
from govqms.procedures.yaml_format import dump_yaml, load_yaml


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def role_names() -> dict[str, str]:
    """Lane names that mean a role: the code and the Vietnamese label, lower-cased."""
    names = {}
    with translation.override("vi"):
        for role in Role:
            names[role.value.lower()] = role.value
            names[str(role.label).lower()] = role.value
    return names


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


class _IntermixedParser(CommandParser):
    """A subcommand parser that lets positionals and options interleave
    (`export CODE --unit U FILE`), which plain argparse cannot do with an optional FILE."""

    _inside = False

    def parse_known_args(self, args=None, namespace=None):
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


class Command(BaseCommand):
    help = "Export or import one procedure version (YAML, or BPMN 2.0 with --bpmn / *.bpmn)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{export,import}",
            parser_class=_IntermixedParser,
        )
        export = sub.add_parser("export", help="write a version to a YAML (or BPMN) file")
        export.add_argument("code", help="procedure code, e.g. 1.001193")
        export.add_argument("--unit", required=True, metavar="UNITCODE", help="declaring unit")
        export.add_argument(
            "--version",
            type=int,
            metavar="N",
            dest="number",
            help="version number (default: the active one, else the newest)",
        )
        export.add_argument("file", nargs="?", default="-", help="YAML file ('-' = stdout)")
        export.add_argument("--bpmn", metavar="FILE.bpmn", help="write BPMN 2.0 XML here")

        imp = sub.add_parser("import", help="declare a version from a YAML or BPMN file")
        imp.add_argument("file", help="*.yaml / *.yml, or *.bpmn / *.xml")
        imp.add_argument("--activate", action="store_true", help="put the version into force")
        imp.add_argument("--procedure", metavar="CODE", help="BPMN: the procedure code")
        imp.add_argument("--unit", metavar="UNITCODE", help="BPMN: the declaring unit")
        imp.add_argument("--limit", metavar="DURATION", help="BPMN: the limit, e.g. 5wd, 10d")
        imp.add_argument("--actor", metavar="USERNAME", help="act as this user (quality.manage)")

    def handle(self, *args, **options):
        if options["action"] == "export":
            self._export(options)
        else:
            self._import(options)

    # --- export ---------------------------------------------------------------------------

    def _export(self, options):
        try:
            version = selectors.version_find(
                procedure_code=options["code"], unit_code=options["unit"], number=options["number"]
            )
        except ProcedureVersion.DoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        spec = selectors.version_spec(version)
        if options["bpmn"]:
            Path(options["bpmn"]).write_bytes(dump_bpmn(spec, role_label=role_label))
            self.stderr.write(f"{version}: BPMN written to {options['bpmn']}")
            if options["file"] == "-":
                return
        text = dump_yaml(spec)
        if options["file"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["file"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"{version}: written to {options['file']}")

    # --- import ---------------------------------------------------------------------------

    def _import(self, options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        data = path.read_bytes()
        is_bpmn = path.suffix.lower() in {".bpmn", ".xml"} or data.lstrip()[:1] == b"<"
        try:
            if is_bpmn:
                spec = load_bpmn(
                    data,
                    procedure_code=options["procedure"] or "",
                    unit_code=options["unit"] or "",
                    limit=options["limit"] or "",
                    role_names=role_names(),
                )
            else:
                if options["procedure"] or options["unit"] or options["limit"]:
                    raise CommandError(
                        "--procedure/--unit/--limit are for BPMN files; a YAML file says them"
                    )
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise CommandError(f"{path}: not UTF-8 text ({exc})") from exc
                spec = load_yaml(text)
        except SpecError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}")
        try:
            outcome = services.version_import(actor=actor, spec=spec, activate=options["activate"])
        except ValidationError as exc:
            raise CommandError(f"{path}: {_validation_text(exc)}") from exc
        except PermissionDenied as exc:
            raise CommandError(f"{path}: {exc}") from exc
        version = outcome.version
        status = "activated" if outcome.activated else version.get_status_display()
        self.stdout.write(f"{version}: {outcome.result} ({status})")
        for warning in outcome.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
