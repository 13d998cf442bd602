from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "govqms.procedures"
    label = "procedures"
    verbose_name = _("Thủ tục hành chính và quy trình nội bộ")
