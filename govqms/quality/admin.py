"""Admin for the quality module. Objectives are saved through `quality.services` (permission
check, audit); measurements and SPC signals are derived records and read-only here (signals
change status on the /chat-luong/ page, through the services)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from govqms.core.admin import ReadOnlyAdmin

from . import selectors, services
from .models import ObjectiveMeasurement, QualityObjective, SpcSignal


class ObjectiveForm(forms.ModelForm):
    indicator = forms.ChoiceField(choices=())

    class Meta:
        model = QualityObjective
        fields = (
            "unit",
            "title",
            "indicator",
            "procedure",
            "target",
            "period",
            "start",
            "end",
            "owner",
            "at_risk_margin",
            "iso_clause",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = selectors.indicator_choices()
        self.fields["indicator"].label = QualityObjective._meta.get_field("indicator").verbose_name

    def clean(self):
        data = super().clean()
        try:
            self.instance.comparison = services.comparison_for(data.get("indicator") or "")
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


class MeasurementInline(admin.TabularInline):
    model = ObjectiveMeasurement
    extra = 0
    can_delete = False
    fields = ("period_start", "period_end", "through", "complete", "value", "status")
    readonly_fields = fields
    ordering = ("-period_start",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QualityObjective)
class QualityObjectiveAdmin(admin.ModelAdmin):
    form = ObjectiveForm
    list_display = ("title", "unit", "indicator", "comparison", "target", "period", "status")
    list_filter = ("state", "status", "period")
    search_fields = ("title", "indicator", "unit__code", "unit__name")
    raw_id_fields = ("unit", "procedure", "owner")
    list_select_related = ("unit",)
    readonly_fields = (
        "comparison",
        "state",
        "closed_at",
        "closed_reason",
        "status",
        "status_value",
        "status_period_start",
        "measured_at",
    )
    inlines = [MeasurementInline]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ObjectiveForm.Meta.fields}
        if change:
            original = QualityObjective.objects.get(pk=obj.pk)
            fields = {n: data[n] for n in form.changed_data if n in services.EDITABLE}
            services.objective_update(actor=request.user, objective=original, **fields)
        else:
            created = services.objective_create(actor=request.user, **data)
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        """Nothing to save: the inline of measurements is read-only."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObjectiveMeasurement)
class ObjectiveMeasurementAdmin(ReadOnlyAdmin):
    list_display = ("objective", "period_start", "period_end", "complete", "value", "status")
    list_filter = ("status", "complete")
    search_fields = ("objective__title", "objective__unit__code")
    list_select_related = ("objective",)
    readonly_fields = [f.name for f in ObjectiveMeasurement._meta.fields]


@admin.register(SpcSignal)
class SpcSignalAdmin(ReadOnlyAdmin):
    list_display = ("rule_id", "rule_name", "unit", "measure", "period_start", "status")
    list_filter = ("status", "chart", "adverse")
    search_fields = ("unit__code", "unit__name", "measure", "rule_id")
    list_select_related = ("unit",)
    readonly_fields = [f.name for f in SpcSignal._meta.fields]
