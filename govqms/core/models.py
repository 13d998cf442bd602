"""Base pieces every domain app uses: the hash-chained audit log and its chain head."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import RestrictedQuerySet


class AuditEntry(models.Model):
    """One append-only, hash-chained record of a write (or of a read of personal data).

    `hash` = SHA-256 over the canonical JSON of this entry's content and `prev_hash`, so editing,
    deleting or reordering any row breaks the chain from that row on (`govqms audit-verify`).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Tạo")
        UPDATE = "update", _("Sửa")
        DELETE = "delete", _("Xóa")
        READ = "read", _("Xem dữ liệu cá nhân")
        LOGIN = "login", _("Đăng nhập")
        LOGIN_FAILED = "login_failed", _("Đăng nhập thất bại")
        LOGOUT = "logout", _("Đăng xuất")
        GRANT = "grant", _("Cấp quyền")
        REVOKE = "revoke", _("Thu hồi")
        IMPORT = "import", _("Nhập dữ liệu")
        OTHER = "other", _("Khác")

    seq = models.PositiveBigIntegerField(_("số thứ tự"), unique=True)
    created_at = models.DateTimeField(_("thời điểm"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
    )
    actor_label = models.CharField(_("nhãn người thực hiện"), max_length=150)
    action = models.CharField(_("hành động"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("loại đối tượng"), max_length=100)
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    object_label = models.CharField(_("tên đối tượng"), max_length=255, blank=True)
    unit_path = models.CharField(_("đơn vị (đường dẫn)"), max_length=500, blank=True, db_index=True)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)
    reason = models.CharField(_("lý do"), max_length=500, blank=True)
    request_id = models.CharField(_("mã yêu cầu"), max_length=64, blank=True)
    prev_hash = models.CharField(_("hash trước"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "unit_path"

    class Meta:
        ordering = ["seq"]
        verbose_name = _("mục nhật ký kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("đầu chuỗi kiểm toán")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class Generation(models.Model):
    """A token per kind of reference data ("org", "calendar", "procedures"), replaced by every
    write of that data (`core.generations`): processes keep lookups derived from it in memory
    and drop them when the token they were computed under is no longer current."""

    name = models.CharField(_("loại dữ liệu"), max_length=40, unique=True)
    token = models.BigIntegerField(_("thế hệ"))

    class Meta:
        verbose_name = _("thế hệ dữ liệu tham chiếu")
        verbose_name_plural = _("thế hệ dữ liệu tham chiếu")

    def __str__(self) -> str:
        return f"{self.name}#{self.token}"
