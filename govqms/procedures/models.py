"""The procedure catalogue and the versioned internal processes (quy trình nội bộ).

A `ProcedureVersion` is the one source of truth for a procedure as one authority runs it: its
ordered steps with responsible roles and time budgets, and its legal limit in working hours.
Dossiers point at the version they started on; editing an active version makes a new draft.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import RestrictedQuerySet

HOURS_PER_DAY = Decimal(8)  # DESIGN §2: limits are stored in working hours, 8 h = 1 day


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    CALENDAR_DAYS = "calendar_days", _("Ngày")
    WORKING_HOURS = "working_hours", _("Giờ làm việc")
    MONTHS = "months", _("Tháng")
    UNKNOWN = "", _("Chưa rõ")


class Channel(models.TextChoices):
    COUNTER = "counter", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Dịch vụ bưu chính")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Dịch vụ công trực tuyến toàn trình")
    PARTIAL = "partial", _("Dịch vụ công trực tuyến một phần")
    NONE = "none", _("Không trực tuyến")
    UNKNOWN = "", _("Chưa rõ")


class Procedure(models.Model):
    """A catalogue entry as published on the National Public Service Portal.

    The legal limit is kept as published: `limit_value` + `limit_unit`; an unknown unit or value
    stays visibly unknown (never guessed). `limit_text` keeps the portal's own wording.
    """

    code = models.CharField(_("mã thủ tục"), max_length=60, unique=True)
    # Up to 1,094 characters in the national catalogue (tthc.csv has 4 names over 600).
    name = models.CharField(_("tên thủ tục"), max_length=1500)
    sector = models.CharField(_("lĩnh vực"), max_length=200, blank=True)
    levels = models.JSONField(_("cấp thực hiện"), default=list, blank=True)
    limit_value = models.DecimalField(
        _("thời hạn giải quyết"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    limit_unit = models.CharField(
        _("đơn vị thời hạn"), max_length=20, choices=LimitUnit.choices, blank=True
    )
    limit_text = models.CharField(_("thời hạn (nguyên văn)"), max_length=500, blank=True)
    fee_text = models.TextField(_("phí, lệ phí"), blank=True)
    channels = models.JSONField(_("kênh nộp"), default=list, blank=True)
    online_level = models.CharField(
        _("mức độ trực tuyến"), max_length=10, choices=OnlineLevel.choices, blank=True
    )
    documents = models.JSONField(_("thành phần hồ sơ"), default=list, blank=True)
    legal_basis = models.JSONField(_("căn cứ pháp lý"), default=list, blank=True)
    source = models.CharField(_("nguồn"), max_length=500, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        indexes = [models.Index(fields=["sector"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def limit_known(self) -> bool:
        return self.limit_value is not None and self.limit_unit != LimitUnit.UNKNOWN


class VersionQuerySet(RestrictedQuerySet):
    def active(self):
        return self.filter(status=ProcedureVersion.Status.ACTIVE)


class ProcedureVersion(models.Model):
    """The internal process of one procedure, declared by one authority (its `unit`) for the
    units below it. Exactly one active version per (procedure, unit)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ACTIVE = "active", _("Đang áp dụng")
        RETIRED = "retired", _("Hết hiệu lực")

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục"), on_delete=models.PROTECT, related_name="versions"
    )
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("cơ quan ban hành quy trình"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.PositiveIntegerField(_("phiên bản"))
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    limit_unit = models.CharField(
        _("cách tính thời hạn"),
        max_length=20,
        choices=[c for c in LimitUnit.choices if c[0]],
        default=LimitUnit.WORKING_DAYS,
    )
    limit_hours = models.DecimalField(
        _("thời hạn (giờ làm việc)"),
        max_digits=9,
        decimal_places=2,
        help_text=_("Thời hạn tính bằng giờ làm việc; 1 ngày làm việc = 8 giờ."),
    )
    calendar_days = models.PositiveIntegerField(
        _("thời hạn (ngày lịch)"), null=True, blank=True, help_text=_("Khi tính theo ngày lịch.")
    )
    due_soon_hours = models.DecimalField(
        _("ngưỡng sắp đến hạn (giờ làm việc)"), max_digits=7, decimal_places=2, default=Decimal(8)
    )
    document_code = models.CharField(_("mã tài liệu ISO"), max_length=60, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("sửa từ phiên bản"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("áp dụng từ"), null=True, blank=True)
    retired_at = models.DateTimeField(_("hết hiệu lực lúc"), null=True, blank=True)

    objects = VersionQuerySet.as_manager()
    scope_path_lookup = "unit__path"

    class Meta:
        ordering = ["procedure__code", "unit__path", "-number"]
        verbose_name = _("quy trình nội bộ")
        verbose_name_plural = _("quy trình nội bộ")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "unit", "number"], name="procedures_version_number"
            ),
            models.UniqueConstraint(
                fields=["procedure", "unit"],
                condition=Q(status="active"),
                name="procedures_one_active_version",
            ),
            models.CheckConstraint(condition=Q(limit_hours__gte=0), name="procedures_limit_ge0"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.unit.code})"

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path

    @property
    def limit_days(self) -> Decimal:
        return self.limit_hours / HOURS_PER_DAY


class Step(models.Model):
    """One step of a version: who does it, where, and its budget in working hours.

    Steps run in `order`; steps sharing a non-empty `parallel_group` run side by side.
    """

    class Where(models.TextChoices):
        RECEIVING = "receiving", _("Đơn vị tiếp nhận")
        COMPETENT = "competent", _("Đơn vị có thẩm quyền")
        RETURNING = "returning", _("Đơn vị trả kết quả")
        OTHER = "other", _("Đơn vị khác")

    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("quy trình"),
        on_delete=models.CASCADE,
        related_name="steps",
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã bước"), max_length=30)
    name = models.CharField(_("tên bước"), max_length=300)
    role = models.CharField(_("vai trò thực hiện"), max_length=30)
    where = models.CharField(
        _("nơi thực hiện"), max_length=10, choices=Where.choices, default=Where.COMPETENT
    )
    other_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("đơn vị khác"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    budget_hours = models.DecimalField(
        _("thời gian (giờ làm việc)"), max_digits=7, decimal_places=2
    )
    optional = models.BooleanField(_("không bắt buộc"), default=False)
    parallel_group = models.CharField(_("nhóm song song"), max_length=30, blank=True)
    description = models.TextField(_("mô tả công việc"), blank=True)
    output = models.CharField(_("kết quả của bước"), max_length=300, blank=True)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="procedures_step_order"),
            models.UniqueConstraint(fields=["version", "code"], name="procedures_step_code"),
            models.CheckConstraint(condition=Q(budget_hours__gte=0), name="procedures_budget_ge0"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
