from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "govqms.portal"
    label = "portal"
    verbose_name = _("Cổng tra cứu công khai")

    def ready(self):
        from . import throttle

        checks.register(throttle.check_settings)
