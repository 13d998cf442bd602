"""Working-day calendar data: versioned, effective-dated, edited by admins through services.

Two time axes:
* effective time — the day a `CalendarDay` is about (`date`), the days `OfficeHours` apply
  (`valid_from` .. `valid_to`, the latter exclusive, like `org.OrgUnit`);
* record time — when the system learned a row (`recorded_at`) and when a correction replaced or
  withdrew it (`retired_at`). Rows are never edited or deleted: a change retires the old row and
  records a new one, so a due date printed last month can be recomputed with the calendar as it
  was known then (`selectors.workcalendar_for_unit(..., known_at=...)`).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

WEEKDAY_CHOICES = [
    (0, _("Thứ Hai")),
    (1, _("Thứ Ba")),
    (2, _("Thứ Tư")),
    (3, _("Thứ Năm")),
    (4, _("Thứ Sáu")),
    (5, _("Thứ Bảy")),
    (6, _("Chủ nhật")),
]


class VersionedQuerySet(models.QuerySet):
    def current(self):
        return self.filter(retired_at__isnull=True)

    def known_at(self, instant):
        """Rows as the system knew them at `instant` (None = now)."""
        if instant is None:
            return self.current()
        return self.filter(
            Q(recorded_at__lte=instant), Q(retired_at__isnull=True) | Q(retired_at__gt=instant)
        )


class HolidayCalendar(models.Model):
    """A national (or organisation-wide) calendar of days off and swapped working days."""

    class DeadlineMode(models.TextChoices):
        HOURS = "hours", _("Theo giờ làm việc (1 ngày = số giờ quy định)")
        END_OF_DAY = "end_of_day", _("Cuối giờ làm việc của ngày làm việc thứ N")

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    country = models.CharField(_("quốc gia (ISO 3166)"), max_length=2)
    timezone = models.CharField(_("múi giờ"), max_length=64, default="Asia/Ho_Chi_Minh")
    weekend = models.JSONField(
        _("ngày nghỉ hằng tuần"), default=list, help_text=_("Thứ trong tuần, 0 = thứ Hai.")
    )
    hours_per_day = models.DecimalField(
        _("số giờ của một ngày làm việc"), max_digits=4, decimal_places=2, default=8
    )
    deadline_mode = models.CharField(
        _("cách tính thời hạn theo ngày làm việc"),
        max_length=20,
        choices=DeadlineMode.choices,
        default=DeadlineMode.HOURS,
    )
    calendar_day_rollover = models.BooleanField(
        _("hạn theo ngày lịch rơi vào ngày nghỉ thì chuyển sang ngày làm việc tiếp theo"),
        default=True,
    )
    first_year = models.PositiveSmallIntegerField(_("năm đầu có dữ liệu"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("năm cuối có dữ liệu"), null=True, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("lịch ngày nghỉ")
        verbose_name_plural = _("lịch ngày nghỉ")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gt=0), name="workdays_calendar_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class CalendarDay(models.Model):
    """One non-standard day: a holiday, a weekday swapped off, or a Saturday worked."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Ngày lễ, Tết (kể cả nghỉ bù)")
        DAY_OFF_SWAP = "day_off_swap", _("Ngày nghỉ do hoán đổi")
        WORKING_DAY_SWAP = "working_day_swap", _("Ngày làm bù (thứ Bảy đi làm)")

    calendar = models.ForeignKey(
        HolidayCalendar, verbose_name=_("lịch"), on_delete=models.PROTECT, related_name="days"
    )
    date = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("tên"), max_length=255)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=120, blank=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"))
    retired_at = models.DateTimeField(_("thay thế/thu hồi lúc"), null=True, blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["calendar", "date", "recorded_at"]
        verbose_name = _("ngày đặc biệt")
        verbose_name_plural = _("ngày đặc biệt")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                condition=Q(retired_at__isnull=True),
                name="workdays_day_current_unique",
            ),
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True) | Q(retired_at__gte=F("recorded_at")),
                name="workdays_day_version_range",
            ),
        ]
        indexes = [models.Index(fields=["calendar", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"

    @property
    def is_current(self) -> bool:
        return self.retired_at is None


class OfficeHours(models.Model):
    """Office hours of one weekday for a unit (null unit = the default for every unit), valid
    from `valid_from` to the day before `valid_to`. A unit without rows uses its parent's."""

    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Để trống: giờ làm việc mặc định cho mọi đơn vị."),
    )
    weekday = models.PositiveSmallIntegerField(_("thứ"), choices=WEEKDAY_CHOICES)
    morning_start = models.TimeField(_("sáng từ"))
    morning_end = models.TimeField(_("sáng đến"))
    afternoon_start = models.TimeField(_("chiều từ"), null=True, blank=True)
    afternoon_end = models.TimeField(_("chiều đến"), null=True, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(
        _("hết hiệu lực từ"),
        null=True,
        blank=True,
        help_text=_("Ngày đầu tiên không còn hiệu lực."),
    )
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"))
    retired_at = models.DateTimeField(_("thay thế/thu hồi lúc"), null=True, blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "valid_from", "weekday"]
        verbose_name = _("giờ làm việc")
        verbose_name_plural = _("giờ làm việc")
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_start__lt=F("morning_end")),
                name="workdays_hours_morning_order",
            ),
            models.CheckConstraint(
                condition=(Q(afternoon_start__isnull=True) & Q(afternoon_end__isnull=True))
                | (
                    Q(afternoon_start__gte=F("morning_end"))
                    & Q(afternoon_end__gt=F("afternoon_start"))
                ),
                name="workdays_hours_afternoon_order",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=F("valid_from")),
                name="workdays_hours_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True) | Q(retired_at__gte=F("recorded_at")),
                name="workdays_hours_version_range",
            ),
        ]
        indexes = [models.Index(fields=["unit", "weekday"])]

    def __str__(self) -> str:
        text = f"{self.get_weekday_display()} {self.morning_start:%H:%M}-{self.morning_end:%H:%M}"
        if self.afternoon_start and self.afternoon_end:
            text += f", {self.afternoon_start:%H:%M}-{self.afternoon_end:%H:%M}"
        return text

    @property
    def audit_unit_path(self) -> str:
        return self.unit.path if self.unit_id else ""

    def sessions(self):
        result = [(self.morning_start, self.morning_end)]
        if self.afternoon_start and self.afternoon_end:
            result.append((self.afternoon_start, self.afternoon_end))
        return tuple(result)
