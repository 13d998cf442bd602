from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Quality objectives (ISO 9001 6.2) measured from the KPIs, and the signals of statistical
    process control recorded with their evidence (9.1.3, feeding 10.2)."""

    name = "govqms.quality"
    label = "quality"
    verbose_name = _("Hệ thống quản lý chất lượng")
