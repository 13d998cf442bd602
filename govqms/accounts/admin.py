from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ("role", "unit", "granted_by", "granted_at", "valid_until")
    readonly_fields = fields
    verbose_name_plural = _("Phân quyền (quản lý tại mục Phân quyền)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin"), {"fields": ("full_name", "email", "home_unit")}),
        (_("Quyền"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Thời gian"), {"fields": ("last_login", "date_joined")}),
    )
    list_display = ("username", "full_name", "home_unit", "is_active", "is_staff")
    search_fields = ("username", "full_name", "email")
    raw_id_fields = ("home_unit",)
    inlines = [RoleInline]

    def save_model(self, request, obj, form, change):
        from . import services

        services.user_admin_save(
            actor=request.user, user=obj, changed=form.changed_data, created=not change
        )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "granted_at", "valid_until")
    list_filter = ("role",)
    raw_id_fields = ("user", "unit")
    search_fields = ("user__username", "unit__name", "unit__code")

    def has_change_permission(self, request, obj=None):
        # A grant is added or revoked, never edited, so the audit trail tells the whole story.
        return False

    def save_model(self, request, obj, form, change):
        from . import services

        if not change:
            created = services.role_grant(
                actor=request.user,
                user=obj.user,
                role=obj.role,
                unit=obj.unit,
                valid_until=obj.valid_until,
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        from . import services

        services.role_revoke(actor=request.user, assignment=obj, reason="admin")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "prefix")

    def has_add_permission(self, request):
        return False
