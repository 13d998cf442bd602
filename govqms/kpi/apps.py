from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    """KPIs, rollups, the Decision 766 scoreboard and statistical process control."""

    name = "govqms.kpi"
    label = "kpi"
    verbose_name = _("Chỉ số và mục tiêu chất lượng")
