from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "govqms.workdays"
    label = "workdays"
    verbose_name = _("Lịch làm việc và thời hạn")

    def ready(self):
        # Lookups kept in memory (succession map, calendars, margins) follow these writes.
        from govqms.core import generations

        from . import models

        generations.track(models.HolidayCalendar, "calendar")
        generations.track(models.CalendarDay, "calendar")
        generations.track(models.OfficeHours, "calendar")
