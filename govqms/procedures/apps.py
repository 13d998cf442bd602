from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "govqms.procedures"
    label = "procedures"
    verbose_name = _("Thủ tục hành chính và quy trình nội bộ")

    def ready(self):
        # Lookups kept in memory (succession map, calendars, margins) follow these writes.
        from govqms.core import generations

        from . import models

        generations.track(models.ProcedureVersion, "procedures")
