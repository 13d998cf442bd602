"""Admin for the catalogue and the versions. Every save goes through the services, so the admin
checks permissions, versions and audits exactly as the CLI and the API do."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from govqms.accounts.roles import Role

from . import services
from .models import Procedure, ProcedureVersion, Step
from .specs import StepSpec, step_errors

PROCEDURE_EDITABLE = (
    "name",
    "sector",
    "levels",
    "limit_value",
    "limit_unit",
    "limit_text",
    "fee_text",
    "channels",
    "online_level",
    "documents",
    "legal_basis",
    "source",
)
VERSION_EDITABLE = (
    "limit_unit",
    "limit_hours",
    "calendar_days",
    "due_soon_hours",
    "document_code",
    "notes",
)
STEP_FIELDS = (
    "order",
    "code",
    "name",
    "role",
    "where",
    "other_unit",
    "budget_hours",
    "optional",
    "parallel_group",
    "description",
    "output",
)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sector", "limit_value", "limit_unit", "is_active")
    list_filter = ("limit_unit", "sector")
    search_fields = ("code", "name")
    readonly_fields = ("is_active",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "code")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in PROCEDURE_EDITABLE}
        lists = {"levels", "channels", "documents", "legal_basis"}
        for key, value in fields.items():
            if value is None and key != "limit_value":
                fields[key] = [] if key in lists else ""
        saved, _result = services.procedure_upsert(actor=request.user, code=obj.code, **fields)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


def _spec_from_form_data(d: dict) -> StepSpec:
    return StepSpec(
        code=d.get("code") or "",
        name=d.get("name") or "",
        role=d.get("role") or "",
        budget_hours=d.get("budget_hours") or Decimal(0),
        where=d.get("where") or "competent",
        optional=bool(d.get("optional")),
        parallel_group=d.get("parallel_group") or "",
        other_unit_code=d["other_unit"].code if d.get("other_unit") else "",
        description=d.get("description") or "",
        output=d.get("output") or "",
    )


def _step_rows(formsets) -> list[dict]:
    rows = []
    for formset in formsets:
        for step_form in formset.forms:
            data = getattr(step_form, "cleaned_data", None)
            if data and not data.get("DELETE") and data.get("code"):
                rows.append(data)
    return sorted(rows, key=lambda d: d.get("order") or 0)


class StepFormSet(BaseInlineFormSet):
    """The same step rules as files and the API (codes, roles, contiguous parallel groups)."""

    def clean(self):
        super().clean()
        specs = [_spec_from_form_data(d) for d in _step_rows([self])]
        errors = step_errors(specs, roles=Role.values)
        if errors:
            raise ValidationError([str(e) for e in errors])


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = ("procedure", "unit", *VERSION_EDITABLE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "limit_hours" in self.fields:
            self.fields["limit_hours"].required = False

    def clean(self):
        data = super().clean()
        if "limit_unit" in self.fields and "limit_unit" in data:
            limit = services.version_limit(
                data.get("limit_unit"), data.get("limit_hours"), data.get("calendar_days")
            )
            data["limit_hours"] = limit.hours
        return data


class StepInline(admin.TabularInline):
    model = Step
    formset = StepFormSet
    fields = STEP_FIELDS
    extra = 0
    raw_id_fields = ("other_unit",)
    ordering = ("order",)

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == ProcedureVersion.Status.DRAFT

    def get_readonly_fields(self, request, obj=None):
        return () if self._editable(obj) else STEP_FIELDS

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = ("procedure", "unit", "number", "status", "limit_unit", "limit_hours")
    list_filter = ("status", "limit_unit")
    search_fields = ("procedure__code", "procedure__name", "unit__code", "unit__name")
    raw_id_fields = ("procedure", "unit")
    form = VersionForm
    inlines = [StepInline]
    actions = ["activate", "retire"]
    readonly_fields = (
        "number",
        "status",
        "based_on",
        "created_at",
        "created_by",
        "activated_at",
        "retired_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("procedure", "unit")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        fixed = (*self.readonly_fields, "procedure", "unit")
        if obj.status != ProcedureVersion.Status.DRAFT:
            return (*fixed, *VERSION_EDITABLE)
        return fixed

    def save_model(self, request, obj, form, change):
        data = {n: form.cleaned_data[n] for n in VERSION_EDITABLE if n in form.cleaned_data}
        if change:
            original = ProcedureVersion.objects.get(pk=obj.pk)
            if original.status == ProcedureVersion.Status.DRAFT:
                services.version_edit(actor=request.user, version=original, **data)
            return
        version = services.version_create_draft(
            actor=request.user,
            procedure=form.cleaned_data["procedure"],
            unit=form.cleaned_data["unit"],
            limit_unit=data.get("limit_unit"),
            limit_hours=data.get("limit_hours"),
            calendar_days=data.get("calendar_days"),
            due_soon_hours=data.get("due_soon_hours") or Decimal(8),
            document_code=data.get("document_code") or "",
            notes=data.get("notes") or "",
        )
        obj.pk = version.pk
        obj.number = version.number
        obj.status = version.status

    def save_related(self, request, form, formsets, change):
        version = ProcedureVersion.objects.get(pk=form.instance.pk)
        if version.status != ProcedureVersion.Status.DRAFT:
            return
        rows = _step_rows(fs for fs in formsets if fs.model is Step)
        steps = [_spec_from_form_data(d) for d in rows]
        services.version_edit(actor=request.user, version=version, steps=steps)

    def construct_change_message(self, request, form, formsets, add=False):
        # The steps were saved by the service (with its own audit entry), not by the formsets.
        return super().construct_change_message(request, form, [], add)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Ban hành các phiên bản dự thảo đã chọn"))
    def activate(self, request, queryset):
        for version in queryset:
            try:
                services.version_activate(actor=request.user, version=version)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{version}: {_message(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{version}: ✓", messages.SUCCESS)

    @admin.action(description=_("Cho hết hiệu lực các phiên bản đã chọn"))
    def retire(self, request, queryset):
        for version in queryset:
            try:
                services.version_retire(actor=request.user, version=version, reason="admin")
            except PermissionDenied as exc:
                self.message_user(request, f"{version}: {_message(exc)}", messages.ERROR)


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    """Read-only list of steps across versions; steps are edited inside their draft version."""

    list_display = ("version", "order", "code", "name", "role", "budget_hours", "parallel_group")
    list_filter = ("role", "where")
    search_fields = ("code", "name", "version__procedure__code")
    list_select_related = ("version__procedure", "version__unit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
