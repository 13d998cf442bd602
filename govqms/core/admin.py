from django.contrib import admin

from .models import AuditEntry, Generation


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewed here, written only through services (or derived by them): no add, no edit, no
    delete, no bulk delete action."""

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


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only and changes only through services."""

    list_display = ("seq", "created_at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_label", "object_id", "request_id")
    date_hierarchy = "created_at"
    ordering = ("-seq",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdmin):
    """Read-only: tokens are replaced by writes of the data they stand for (core.generations)."""

    list_display = ("name", "token")
    readonly_fields = ("name", "token")
