"""Admin for dossiers: read-only. Events are append-only and dossiers/step records are derived
from them, so every change goes through `services` (the dossier screens, the API, ingestion).
Opening a dossier here shows its applicant's data, so the read is logged like any other."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govqms.core import admin as core_admin
from govqms.core.audit import audit_read

from . import selectors
from .models import Dossier, DossierEvent, StepRecord


class ReadOnlyAdmin(core_admin.ReadOnlyAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "status",
        "timeliness",
        "received_at",
        "due_at",
        "competent_unit",
        "applicant_masked",
    )
    list_filter = ("status", "timeliness", "channel")
    search_fields = ("code",)
    date_hierarchy = "received_at"
    list_select_related = ("competent_unit",)

    @admin.display(description=gettext_lazy("người nộp (che bớt)"))
    def applicant_masked(self, obj):
        return selectors.mask_name(obj.applicant_name)

    def get_queryset(self, request):
        return super().get_queryset(request) & Dossier.objects.restrict(
            request.user, selectors.PERM_VIEW
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit_read(
                actor=request.user,
                obj=obj,
                fields=selectors.APPLICANT_FIELDS,
                purpose=_("Quản trị: xem hồ sơ"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "seq", "kind", "occurred_at", "actor_label", "step", "source")
    list_filter = ("kind", "source")
    search_fields = ("dossier__code", "source_id")
    list_select_related = ("dossier",)

    def get_queryset(self, request):
        return super().get_queryset(request) & DossierEvent.objects.restrict(
            request.user, selectors.PERM_VIEW
        )


@admin.register(StepRecord)
class StepRecordAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "step", "started_at", "finished_at", "handler", "working_seconds")
    search_fields = ("dossier__code", "step")
    list_select_related = ("dossier",)
