"""Admin for the rollups (every grain): read-only. The rows are derived from the dossiers by
`kpi.rollups` (kept current on every dossier write, recomputed by `govqms rebuild-rollups`)."""

from django.contrib import admin

from govqms.core.admin import ReadOnlyAdmin

from .models import MEASURES, DailyRollup, MonthlyRollup, UnitDailyRollup, UnitMonthlyRollup

COUNTERS_SHOWN = ("received", "finished", "finished_early", "finished_on_time", "finished_late")


@admin.register(DailyRollup)
class DailyRollupAdmin(ReadOnlyAdmin):
    list_display = ("day", "unit", "procedure", *COUNTERS_SHOWN)
    list_filter = ("day",)
    search_fields = ("unit__code", "unit__name", "procedure__code")
    date_hierarchy = "day"
    list_select_related = ("unit", "procedure")
    readonly_fields = ("unit", "procedure", "day", *MEASURES)


@admin.register(MonthlyRollup)
class MonthlyRollupAdmin(ReadOnlyAdmin):
    list_display = ("month", "unit", "procedure", *COUNTERS_SHOWN)
    list_filter = ("month",)
    search_fields = ("unit__code", "unit__name", "procedure__code")
    list_select_related = ("unit", "procedure")
    readonly_fields = ("unit", "procedure", "month", *MEASURES)


@admin.register(UnitDailyRollup)
class UnitDailyRollupAdmin(ReadOnlyAdmin):
    list_display = ("day", "unit", *COUNTERS_SHOWN)
    list_filter = ("day",)
    search_fields = ("unit__code", "unit__name")
    date_hierarchy = "day"
    list_select_related = ("unit",)
    readonly_fields = ("unit", "day", *MEASURES)


@admin.register(UnitMonthlyRollup)
class UnitMonthlyRollupAdmin(ReadOnlyAdmin):
    list_display = ("month", "unit", *COUNTERS_SHOWN)
    list_filter = ("month",)
    search_fields = ("unit__code", "unit__name")
    list_select_related = ("unit",)
    readonly_fields = ("unit", "month", *MEASURES)
