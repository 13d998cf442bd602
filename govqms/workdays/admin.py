"""Admin for the calendar data. Every change goes through `services` (audit entry, versioning):
saving a day or an office-hours row records a new version; "delete" withdraws (retires) it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CalendarDay, HolidayCalendar, OfficeHours


class CurrentFilter(admin.SimpleListFilter):
    title = _("phiên bản")
    parameter_name = "version"

    def lookups(self, request, model_admin):
        return [("current", _("Đang dùng")), ("retired", _("Đã thay thế/thu hồi"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(retired_at__isnull=True)
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        return queryset


class VersionedAdmin(admin.ModelAdmin):
    """Retired rows are history: read-only. Deleting a current row withdraws it."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.retired_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.retired_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk delete would bypass the services
        return actions


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "country",
        "timezone",
        "deadline_mode",
        "first_year",
        "last_year",
    )
    readonly_fields = ("first_year", "last_year")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "code", "country")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.CALENDAR_FIELDS
        }
        original = HolidayCalendar.objects.get(pk=obj.pk)
        services.calendar_update(actor=request.user, calendar=original, **fields)

    def has_add_permission(self, request):
        return False  # calendars are created by `govqms calendar-seed`

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(VersionedAdmin):
    list_display = ("date", "name", "kind", "calendar", "source", "recorded_at", "retired_at")
    list_filter = (CurrentFilter, "calendar", "kind", "source")
    search_fields = ("name", "legal_basis")
    date_hierarchy = "date"
    fields = ("calendar", "date", "kind", "name", "legal_basis", "source", "recorded_at")
    readonly_fields = ("source", "recorded_at", "retired_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "calendar", "date")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        new = services.calendar_day_set(
            actor=request.user,
            calendar=obj.calendar,
            date=obj.date,
            kind=obj.kind,
            name=obj.name,
            legal_basis=obj.legal_basis,
            reason="admin",
        )
        obj.pk = new.pk

    def delete_model(self, request, obj):
        services.calendar_day_withdraw(actor=request.user, day=obj, reason="admin")


@admin.register(OfficeHours)
class OfficeHoursAdmin(VersionedAdmin):
    list_display = ("unit", "weekday", "__str__", "valid_from", "valid_to", "retired_at")
    list_filter = (CurrentFilter, "weekday")
    raw_id_fields = ("unit",)
    search_fields = ("unit__name", "unit__code")
    readonly_fields = ("recorded_at", "retired_at")
    fields = (
        "unit",
        "weekday",
        ("morning_start", "morning_end"),
        ("afternoon_start", "afternoon_end"),
        ("valid_from", "valid_to"),
        "note",
        "recorded_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "unit", "weekday")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        afternoon = None
        if obj.afternoon_start and obj.afternoon_end:
            afternoon = (obj.afternoon_start, obj.afternoon_end)
        if change:
            original = OfficeHours.objects.get(pk=obj.pk)
            if (original.valid_from, original.valid_to) != (obj.valid_from, obj.valid_to):
                services.office_hours_withdraw(actor=request.user, hours=original, reason="admin")
        new = services.office_hours_set(
            actor=request.user,
            unit=obj.unit,
            weekday=obj.weekday,
            morning=(obj.morning_start, obj.morning_end),
            afternoon=afternoon,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
            note=obj.note,
            reason="admin",
        )
        obj.pk = new.pk

    def delete_model(self, request, obj):
        services.office_hours_withdraw(actor=request.user, hours=obj, reason="admin")
