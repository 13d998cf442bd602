from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "govqms.org"
    label = "org"
    verbose_name = _("Cơ cấu tổ chức")

    def ready(self):
        # Lookups kept in memory (succession map, calendars, margins) follow these writes.
        from govqms.core import generations

        from . import models

        generations.track(models.OrgUnit, "org")
        generations.track(models.UnitSuccession, "org")
