"""Admin for the rollups: read-only. The rows are derived from the dossiers by `kpi.rollups`
(kept current on every dossier write, recomputed by `govqms rebuild-rollups`)."""

from django.contrib import admin

from .models import MEASURES, DailyRollup


@admin.register(DailyRollup)
class DailyRollupAdmin(admin.ModelAdmin):
    list_display = (
        "day",
        "unit",
        "procedure",
        "received",
        "finished",
        "finished_early",
        "finished_on_time",
        "finished_late",
    )
    list_filter = ("day",)
    search_fields = ("unit__code", "unit__name", "procedure__code")
    date_hierarchy = "day"
    list_select_related = ("unit", "procedure")
    readonly_fields = ("unit", "procedure", "day", *MEASURES)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
