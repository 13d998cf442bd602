from django.contrib import admin

from .models import OrgUnit, UnitSuccession


class SuccessionInline(admin.TabularInline):
    model = UnitSuccession
    fk_name = "predecessor"
    extra = 0
    raw_id_fields = ("successor",)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "valid_from", "valid_to", "path")
    list_filter = ("kind", ("valid_to", admin.EmptyFieldListFilter))
    search_fields = ("code", "name", "national_code")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")
    inlines = [SuccessionInline]

    def save_model(self, request, obj, form, change):
        from . import services

        if change:
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name
                in {
                    "name",
                    "short_name",
                    "national_code",
                    "valid_from",
                    "valid_to",
                    "kind",
                    "source",
                }
            }
            original = OrgUnit.objects.get(pk=obj.pk)
            services.unit_update(actor=request.user, unit=original, **fields)
        else:
            created = services.unit_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                national_code=obj.national_code,
                short_name=obj.short_name,
                valid_from=obj.valid_from,
                valid_to=obj.valid_to,
                source=obj.source or "admin",
            )
            obj.pk = created.pk

    def get_readonly_fields(self, request, obj=None):
        # Codes and parents are fixed once created: reorganizations are recorded as successions.
        if obj is not None:
            return (*self.readonly_fields, "code", "parent")
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(admin.ModelAdmin):
    list_display = ("predecessor", "successor", "kind", "effective_date", "primary")
    list_filter = ("kind", "effective_date")
    raw_id_fields = ("predecessor", "successor")
    search_fields = ("predecessor__name", "successor__name", "predecessor__code")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
