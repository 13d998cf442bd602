"""Rollups: additive counters per competent unit, at four grains.

A `DailyRollup` row is the sum of the *contributions* of the dossiers of one competent unit and
one procedure whose dated facts (receipt, finish, refusal, ...) fall on one day in
Asia/Ho_Chi_Minh. `MonthlyRollup` (unit × procedure × month), `UnitDailyRollup` (unit × day,
every procedure) and `UnitMonthlyRollup` (unit × month) are the same sums at coarser grains, so
that a province-year figure reads a few thousand rows instead of millions (docs/rollups.md §8).
Rows are derived data: `kpi.rollups` keeps all four current as dossiers change and
`govqms rebuild-rollups` recomputes them exactly from the dossiers (docs/rollups.md).
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


class RollupCounters(models.Model):
    """The counter columns every rollup grain carries (`MEASURES`)."""

    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("cơ quan giải quyết"),
        on_delete=models.PROTECT,
        related_name="+",
    )

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
        abstract = True

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path

    def counters(self) -> dict[str, int]:
        return {m: getattr(self, m) for m in MEASURES}


def _procedure_field():
    return models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("thủ tục"),
        on_delete=models.PROTECT,
        related_name="+",
    )


class DailyRollup(RollupCounters):
    procedure = _procedure_field()
    day = models.DateField(_("ngày"))

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


class MonthlyRollup(RollupCounters):
    procedure = _procedure_field()
    month = models.DateField(_("tháng (ngày đầu tháng)"))

    class Meta:
        verbose_name = _("số liệu tổng hợp theo tháng")
        verbose_name_plural = _("số liệu tổng hợp theo tháng")
        ordering = ["-month", "unit", "procedure"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "procedure", "month"], name="kpi_monthly_unit_procedure_month"
            )
        ]
        indexes = [
            models.Index(fields=["procedure", "month"], name="kpi_monthly_procedure_month"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.procedure_id}/{self.month:%Y-%m}"


class UnitDailyRollup(RollupCounters):
    day = models.DateField(_("ngày"))

    class Meta:
        verbose_name = _("số liệu tổng hợp của đơn vị theo ngày")
        verbose_name_plural = _("số liệu tổng hợp của đơn vị theo ngày")
        ordering = ["-day", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="kpi_unitdaily_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.day}"


class UnitMonthlyRollup(RollupCounters):
    month = models.DateField(_("tháng (ngày đầu tháng)"))

    class Meta:
        verbose_name = _("số liệu tổng hợp của đơn vị theo tháng")
        verbose_name_plural = _("số liệu tổng hợp của đơn vị theo tháng")
        ordering = ["-month", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="kpi_unitmonthly_unit_month")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.month:%Y-%m}"
