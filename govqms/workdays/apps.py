from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "govqms.workdays"
    label = "workdays"
    verbose_name = _("Lịch làm việc và thời hạn")
