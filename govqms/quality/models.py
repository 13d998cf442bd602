"""Quality objectives (ISO 9001 6.2), their measurements, and SPC signals (docs/quality.md).

Writes go through `quality.services`; reads through `quality.selectors`. Every model is scoped
by the tree path of the unit it belongs to.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import RestrictedQuerySet


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Tháng")
    QUARTER = "quarter", _("Quý")
    YEAR = "year", _("Năm")


class Comparison(models.TextChoices):
    AT_LEAST = "gte", _("≥ (không thấp hơn)")
    AT_MOST = "lte", _("≤ (không cao hơn)")


class Health(models.TextChoices):
    """How a measured value stands against its target (the rule: `workflows.health`)."""

    ON_TRACK = "on_track", _("Đạt mục tiêu")
    AT_RISK = "at_risk", _("Có nguy cơ không đạt")
    MISSED = "missed", _("Không đạt")
    NO_DATA = "no_data", _("Chưa có số liệu")


class QualityObjective(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Đang theo dõi")
        CLOSED = "closed", _("Đã đóng")

    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("mục tiêu"), max_length=255)
    indicator = models.CharField(
        _("chỉ số"),
        max_length=60,
        help_text=_("Mã chỉ số trong danh mục chỉ số của GovQMS (docs/kpi.md)."),
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("thủ tục"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Để trống: mọi thủ tục của đơn vị."),
    )
    target = models.DecimalField(_("chỉ tiêu"), max_digits=12, decimal_places=2)
    comparison = models.CharField(
        _("so sánh"),
        max_length=3,
        choices=Comparison.choices,
        help_text=_("Theo chiều của chỉ số: càng cao càng tốt → ≥; càng thấp càng tốt → ≤."),
    )
    period = models.CharField(_("kỳ đo"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người chịu trách nhiệm"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at_risk_margin = models.DecimalField(
        _("biên cảnh báo"),
        max_digits=12,
        decimal_places=2,
        default=5,
        help_text=_(
            "Hụt chỉ tiêu không quá mức này (cùng đơn vị với chỉ số) thì là 'có nguy cơ', "
            "quá mức này thì là 'không đạt'."
        ),
    )
    iso_clause = models.CharField(_("điều khoản ISO 9001"), max_length=20, default="6.2")
    state = models.CharField(
        _("trạng thái theo dõi"), max_length=10, choices=State.choices, default=State.ACTIVE
    )
    closed_at = models.DateTimeField(_("thời điểm đóng"), null=True, blank=True)
    closed_reason = models.TextField(_("lý do đóng"), blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now, editable=False)

    # Derived by `services.objective_measure` from the two latest measurements.
    status = models.CharField(
        _("tình trạng"), max_length=10, choices=Health.choices, blank=True, editable=False
    )
    status_value = models.FloatField(_("giá trị gần nhất"), null=True, blank=True, editable=False)
    status_period_start = models.DateField(
        _("kỳ quyết định tình trạng"), null=True, blank=True, editable=False
    )
    measured_at = models.DateTimeField(_("thời điểm đo"), null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "unit__path"

    class Meta:
        verbose_name = _("mục tiêu chất lượng")
        verbose_name_plural = _("mục tiêu chất lượng")
        ordering = ["unit__path", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="quality_objective_dates",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_margin__gte=0), name="quality_objective_margin_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(comparison__in=["gte", "lte"]), name="quality_objective_comparison"
            ),
        ]
        indexes = [models.Index(fields=["state", "start"], name="quality_obj_state_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path


class ObjectiveMeasurement(models.Model):
    """One objective over one period: the figure from `govqms.kpi.selectors` and its health.

    The current period is measured through `through` (partial, `complete` false) and measured
    again until it ends; `target` and `comparison` are copied so that history survives edits of
    the objective."""

    objective = models.ForeignKey(
        QualityObjective,
        verbose_name=_("mục tiêu"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    period_start = models.DateField(_("đầu kỳ"))
    period_end = models.DateField(_("cuối kỳ"))
    through = models.DateField(_("số liệu đến ngày"))
    complete = models.BooleanField(_("kỳ đã kết thúc"), default=False)
    value = models.FloatField(_("giá trị"), null=True, blank=True)
    numerator = models.FloatField(_("tử số"), null=True, blank=True)
    denominator = models.FloatField(_("mẫu số"), null=True, blank=True)
    exact = models.BooleanField(
        _("chính xác"), default=True, help_text=_("Sai: trung vị ước tính từ biểu đồ tần suất.")
    )
    target = models.DecimalField(_("chỉ tiêu"), max_digits=12, decimal_places=2)
    comparison = models.CharField(_("so sánh"), max_length=3, choices=Comparison.choices)
    at_risk_margin = models.DecimalField(_("biên cảnh báo"), max_digits=12, decimal_places=2)
    status = models.CharField(_("tình trạng"), max_length=10, choices=Health.choices)
    measured_at = models.DateTimeField(_("thời điểm đo"))

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "objective__unit__path"

    class Meta:
        verbose_name = _("kết quả đo mục tiêu")
        verbose_name_plural = _("kết quả đo mục tiêu")
        ordering = ["objective", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "period_start"], name="quality_measurement_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="quality_measurement_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id}: {self.period_start}–{self.period_end}"

    @property
    def audit_unit_path(self) -> str:
        return self.objective.unit.path


class SpcSignal(models.Model):
    """A run rule that held on a control chart of a unit (and procedure), with its evidence:
    everything a nonconformity (ISO 9001 10.2) needs to cite it."""

    class Chart(models.TextChoices):
        P = "p", _("Biểu đồ p (tỷ lệ hồ sơ trễ hạn)")
        XMR = "xmr", _("Biểu đồ XmR (thời gian giải quyết)")

    class Status(models.TextChoices):
        OPEN = "open", _("Mới phát hiện")
        ACKNOWLEDGED = "acknowledged", _("Đã ghi nhận, đang xem xét")
        RAISED = "raised_nonconformity", _("Đã lập sự không phù hợp")
        DISMISSED = "dismissed", _("Đã bỏ qua")

    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("thủ tục"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chart = models.CharField(_("biểu đồ"), max_length=4, choices=Chart.choices)
    measure = models.CharField(_("chỉ số"), max_length=60)
    series = models.CharField(
        _("chuỗi"), max_length=2, help_text=_("p, x (giá trị đơn) hoặc mr (khoảng biến động).")
    )
    rule_id = models.CharField(_("mã quy tắc"), max_length=20)
    rule_name = models.CharField(_("quy tắc"), max_length=255)
    direction = models.CharField(_("chiều"), max_length=4, blank=True)
    adverse = models.BooleanField(
        _("bất lợi"), default=True, help_text=_("Sai: cải thiện cần xác nhận, không phải lỗi.")
    )
    period_start = models.DateField(_("đầu kỳ phát hiện"))
    period_end = models.DateField(_("cuối kỳ phát hiện"))
    points = models.JSONField(_("các điểm liên quan"), default=list)
    evidence = models.JSONField(_("bằng chứng"), default=dict)
    detected_at = models.DateTimeField(_("thời điểm phát hiện"))
    status = models.CharField(
        _("trạng thái"), max_length=24, choices=Status.choices, default=Status.OPEN
    )
    status_changed_at = models.DateTimeField(_("thời điểm đổi trạng thái"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đổi trạng thái"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_reason = models.TextField(_("lý do"), blank=True)
    nonconformity_ref = models.CharField(_("số hiệu sự không phù hợp"), max_length=60, blank=True)
    fingerprint = models.CharField(_("dấu vân tay"), max_length=64, unique=True)

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "unit__path"

    class Meta:
        verbose_name = _("tín hiệu kiểm soát quá trình")
        verbose_name_plural = _("tín hiệu kiểm soát quá trình")
        ordering = ["-detected_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "status"], name="quality_signal_unit_status"),
            models.Index(fields=["status", "detected_at"], name="quality_signal_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.measure} {self.period_start:%Y-%m}"

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path
