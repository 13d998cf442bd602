"""Dossiers and their append-only events.

`DossierEvent` rows are the record; the `Dossier` row is a cache of the state derived from them
by `workflows.replay` (and can be rebuilt at any time: `govqms rebuild-dossiers`). Every event
carries a (`source`, `source_id`) pair, unique, so that a retried ingest never lands twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import RestrictedQuerySet
from govqms.procedures.models import Channel  # one list of channels for procedures and dossiers


class Status(models.TextChoices):
    """Dossier status, numbered as synchronised with the National Public Service Portal."""

    NEW_ONLINE = "new_online", _("Mới đăng ký trực tuyến")
    RECEIVED = "received", _("Đã tiếp nhận")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    PROCESSING = "processing", _("Đang xử lý")
    SUPPLEMENT = "supplement", _("Yêu cầu bổ sung hồ sơ")
    FINANCIAL = "financial", _("Chờ thực hiện nghĩa vụ tài chính")
    WITHDRAWN = "withdrawn", _("Công dân rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    FINISHED = "finished", _("Đã giải quyết xong")
    RETURNED = "returned", _("Đã trả kết quả")


#: Received and not finished or closed: the dossiers whose clock the deadline indicators watch.
OPEN_STATUSES = (Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL)

PORTAL_STATUS_CODE = {
    Status.NEW_ONLINE: 1,
    Status.RECEIVED: 2,
    Status.REFUSED: 3,
    Status.PROCESSING: 4,
    Status.SUPPLEMENT: 5,
    Status.FINANCIAL: 6,
    Status.WITHDRAWN: 7,
    Status.STOPPED: 8,
    Status.FINISHED: 9,
    Status.RETURNED: 10,
}


class Timeliness(models.TextChoices):
    EARLY = "early", _("Hoàn thành trước hạn")
    ON_TIME = "on_time", _("Hoàn thành đúng hạn")
    LATE = "late", _("Hoàn thành quá hạn")
    WITHIN = "within", _("Đang xử lý trong hạn")
    DUE_SOON = "due_soon", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Đang xử lý quá hạn")
    NONE = "", _("Không áp dụng")


class DossierQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(
            status__in=[Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL]
        )


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    version = models.ForeignKey(
        "procedures.ProcedureVersion",
        verbose_name=_("quy trình"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiving_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("nơi tiếp nhận"), on_delete=models.PROTECT, related_name="+"
    )
    competent_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("cơ quan giải quyết"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    returning_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("nơi trả kết quả"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=Channel.choices)
    # Minimal personal data (Law 91/2025/QH15): who applied and how to reach them. Masked in
    # lists; each read is logged by the selectors.
    applicant_name = models.CharField(_("người nộp"), max_length=200, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_id_number = models.CharField(_("số định danh"), max_length=20, blank=True)
    # The working-day calendar that judges the dossier (due dates, timeliness, step times): set
    # when it is opened (a foreign event log names its country's, e.g. "NL"), never re-derived.
    calendar_code = models.CharField(_("lịch làm việc"), max_length=10, default="VN")

    # --- Derived from events (workflows.replay); assigned only by services via workflows. ---
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả"), null=True, blank=True, db_index=True)
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(
        _("thời gian tạm dừng (giây làm việc)"), default=0
    )
    paused_since = models.DateTimeField(_("tạm dừng từ"), null=True, blank=True)
    finished_at = models.DateTimeField(_("giải quyết xong lúc"), null=True, blank=True)
    returned_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    reappointed = models.BooleanField(_("đã hẹn lại"), default=False)
    current_step = models.CharField(_("bước hiện tại"), max_length=30, blank=True)
    current_handler = models.CharField(_("người xử lý hiện tại"), max_length=150, blank=True)
    timeliness = models.CharField(
        _("tình trạng thời hạn"), max_length=10, choices=Timeliness.choices, blank=True
    )
    event_count = models.PositiveIntegerField(_("số sự kiện"), default=0)
    last_event_at = models.DateTimeField(_("sự kiện cuối"), null=True, blank=True)

    source = models.CharField(_("hệ thống nguồn"), max_length=60, blank=True)
    source_id = models.CharField(_("mã ở hệ thống nguồn"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = DossierQuerySet.as_manager()
    scope_path_lookup = "competent_unit__path"

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["competent_unit", "status"]),
            models.Index(fields=["receiving_unit", "received_at"]),
            # The open-dossier snapshot (within limit / due soon / overdue at `now`) reads only
            # this partial index: a few % of the rows, every column it needs in the key.
            models.Index(
                fields=["competent_unit", "due_at", "version", "paused_since", "timeliness"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="dossiers_open_unit_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~models.Q(source_id=""),
                name="dossiers_dossier_source_unique",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_unit_path(self) -> str:
        return self.competent_unit.path

    @property
    def portal_status_code(self) -> int:
        return PORTAL_STATUS_CODE[Status(self.status)]


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Nộp trực tuyến")
    RECEIVED = "received", _("Tiếp nhận")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    STEP_STARTED = "step_started", _("Bắt đầu bước")
    STEP_FINISHED = "step_finished", _("Hoàn thành bước")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung")
    SUPPLEMENT_PROVIDED = "supplement_provided", _("Đã bổ sung")
    FINANCIAL_REQUESTED = "financial_requested", _("Yêu cầu nghĩa vụ tài chính")
    FINANCIAL_FULFILLED = "financial_fulfilled", _("Đã thực hiện nghĩa vụ tài chính")
    TRANSFERRED = "transferred", _("Chuyển cơ quan khác")
    REAPPOINTED = "reappointed", _("Xin lỗi và hẹn lại")
    FINISHED = "finished", _("Giải quyết xong")
    RETURNED = "returned", _("Trả kết quả")
    WITHDRAWN = "withdrawn", _("Rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    NOTE = "note", _("Ghi chú")


class DossierEvent(models.Model):
    """Append-only. Never updated or deleted; corrections are new events."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.RESTRICT, related_name="events"
    )
    seq = models.PositiveIntegerField(_("thứ tự"))
    kind = models.CharField(_("loại"), max_length=24, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("thời điểm"))
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
    )
    actor_label = models.CharField(_("người thực hiện (nhãn)"), max_length=150, blank=True)
    step = models.CharField(_("bước"), max_length=30, blank=True)
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("lý do, nội dung"), blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    source = models.CharField(_("nguồn"), max_length=60)
    source_id = models.CharField(_("mã sự kiện ở nguồn"), max_length=160)

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "dossier__competent_unit__path"

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = _("sự kiện hồ sơ")
        ordering = ["dossier", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="dossiers_event_source"),
            models.UniqueConstraint(fields=["dossier", "seq"], name="dossiers_event_seq"),
        ]
        indexes = [models.Index(fields=["kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.kind}"


class StepRecord(models.Model):
    """Derived per-step durations (rebuilt with the dossier)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="step_records"
    )
    step = models.CharField(_("bước"), max_length=30)
    started_at = models.DateTimeField(_("bắt đầu"))
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    handler = models.CharField(_("người xử lý"), max_length=150, blank=True)
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    working_seconds = models.PositiveBigIntegerField(_("thời gian làm việc (giây)"), null=True)
    budget_seconds = models.PositiveBigIntegerField(_("định mức (giây)"), null=True)

    class Meta:
        verbose_name = _("thời gian bước")
        verbose_name_plural = _("thời gian bước")
        ordering = ["dossier", "started_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.step}"
