"""Rollups: additive daily counters per (competent unit, procedure, local day).

A `DailyRollup` row is the sum of the *contributions* of the dossiers of one competent unit and
one procedure whose dated facts (receipt, finish, refusal, ...) fall on one day in
Asia/Ho_Chi_Minh. Rows are derived data: `kpi.rollups` keeps them current as dossiers change
and `govqms rebuild-rollups` recomputes them exactly from the dossiers (docs/rollups.md).
Integer columns only (portable SQL, no JSON arithmetic), so any period is one SUM.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import RestrictedQuerySet

#: Processing-time histogram: bin i holds dossiers that took [EDGES[i-1], EDGES[i]) working days
#: (8 working hours = 1 day); the first bin starts at 0, the last one is open-ended (≥ 90).
HISTOGRAM_EDGES_DAYS = (0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90)
HISTOGRAM_FIELDS = tuple(f"processing_bin_{i:02d}" for i in range(len(HISTOGRAM_EDGES_DAYS) + 1))

#: Every counter column, in table order. All are additive over units, procedures and days.
MEASURES = (
    "received",  # received (received_at) on the day
    "received_online",  # ... of which filed online
    "submitted",  # online submissions (submitted_at) on the day, received or not
    "finished",  # finished (finished_at) on the day
    "finished_early",
    "finished_on_time",
    "finished_late",
    "finished_reappointed",  # finished on the day after an apology & re-appointment slip
    "processing_seconds",  # Σ working seconds from receipt to finish, pauses excluded
    *HISTOGRAM_FIELDS,
    "returned",  # result handed over (returned_at) on the day
    "refused",  # refused at intake (closed_at) on the day
    "withdrawn",  # withdrawn by the applicant (closed_at) on the day
    "stopped",  # processing stopped (closed_at) on the day
)


class DailyRollup(models.Model):
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("cơ quan giải quyết"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("thủ tục"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("ngày"))

    # Signed on purpose: a counter that drifted below zero must never block a dossier write
    # (a CHECK would); `govqms rebuild-rollups` puts it right.
    received = models.IntegerField(_("tiếp nhận"), default=0)
    received_online = models.IntegerField(_("tiếp nhận trực tuyến"), default=0)
    submitted = models.IntegerField(_("nộp trực tuyến"), default=0)
    finished = models.IntegerField(_("giải quyết xong"), default=0)
    finished_early = models.IntegerField(_("xong trước hạn"), default=0)
    finished_on_time = models.IntegerField(_("xong đúng hạn"), default=0)
    finished_late = models.IntegerField(_("xong quá hạn"), default=0)
    finished_reappointed = models.IntegerField(_("xong, đã xin lỗi và hẹn lại"), default=0)
    processing_seconds = models.BigIntegerField(_("tổng thời gian giải quyết (giây)"), default=0)
    processing_bin_00 = models.IntegerField("< 0,5", default=0)
    processing_bin_01 = models.IntegerField("0,5–1", default=0)
    processing_bin_02 = models.IntegerField("1–2", default=0)
    processing_bin_03 = models.IntegerField("2–3", default=0)
    processing_bin_04 = models.IntegerField("3–5", default=0)
    processing_bin_05 = models.IntegerField("5–7", default=0)
    processing_bin_06 = models.IntegerField("7–10", default=0)
    processing_bin_07 = models.IntegerField("10–15", default=0)
    processing_bin_08 = models.IntegerField("15–20", default=0)
    processing_bin_09 = models.IntegerField("20–30", default=0)
    processing_bin_10 = models.IntegerField("30–45", default=0)
    processing_bin_11 = models.IntegerField("45–60", default=0)
    processing_bin_12 = models.IntegerField("60–90", default=0)
    processing_bin_13 = models.IntegerField("≥ 90", default=0)
    returned = models.IntegerField(_("trả kết quả"), default=0)
    refused = models.IntegerField(_("từ chối tiếp nhận"), default=0)
    withdrawn = models.IntegerField(_("rút hồ sơ"), default=0)
    stopped = models.IntegerField(_("dừng xử lý"), default=0)

    objects = RestrictedQuerySet.as_manager()
    scope_path_lookup = "unit__path"

    class Meta:
        verbose_name = _("số liệu tổng hợp theo ngày")
        verbose_name_plural = _("số liệu tổng hợp theo ngày")
        ordering = ["-day", "unit", "procedure"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "procedure", "day"], name="kpi_dailyrollup_unit_procedure_day"
            )
        ]
        indexes = [
            models.Index(fields=["unit", "day"], name="kpi_rollup_unit_day"),
            models.Index(fields=["procedure", "day"], name="kpi_rollup_procedure_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.procedure_id}/{self.day}"

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path

    def counters(self) -> dict[str, int]:
        return {m: getattr(self, m) for m in MEASURES}
