"""The organization tree, effective-dated.

Each node has a materialized `path` of codes ("/01/00004/"), so a subtree is one indexed
prefix query on SQLite and PostgreSQL alike. Units are never moved or deleted: a reform closes
a unit (`valid_to`) and records its successors in `UnitSuccession`, so that data from before the
2025 two-tier reform still rolls up to today's units.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import RestrictedQuerySet


class OrgUnitQuerySet(RestrictedQuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gt=day),
        )

    def current(self):
        return self.filter(valid_to__isnull=True)

    def subtree(self, unit: "OrgUnit"):
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("Tỉnh/Thành phố trực thuộc trung ương")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
        SERVICE_BRANCH = "service_branch", _("Chi nhánh Trung tâm Phục vụ hành chính công")
        DISTRICT = "district", _("Quận/Huyện/Thị xã (trước 01/7/2025)")
        WARD = "ward", _("Phường")
        COMMUNE = "commune", _("Xã")
        SPECIAL_ZONE = "special_zone", _("Đặc khu")
        TOWNSHIP = "township", _("Thị trấn (trước 01/7/2025)")
        DIVISION = "division", _("Phòng, bộ phận chuyên môn")

    code = models.CharField(
        _("mã"),
        max_length=40,
        help_text=_("Mã định danh; với đơn vị hành chính là mã quốc gia (Hà Nội: 01)."),
    )
    national_code = models.CharField(_("mã hành chính quốc gia"), max_length=20, blank=True)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=100, blank=True)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("đường dẫn cây"), max_length=500, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("cấp"), default=0, editable=False)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(
        _("hết hiệu lực từ"),
        null=True,
        blank=True,
        help_text=_("Ngày đầu tiên không còn hiệu lực."),
    )
    source = models.CharField(_("nguồn dữ liệu"), max_length=120, blank=True)

    objects = OrgUnitQuerySet.as_manager()
    scope_path_lookup = "path"

    class Meta:
        ordering = ["path"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="org_unit_current_code"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="org_unit_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["code"]), models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_unit_path(self) -> str:
        return self.path

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def clean(self) -> None:
        if "/" in self.code:
            raise ValidationError({"code": _("Mã đơn vị không được chứa dấu '/'.")})

    def compute_path(self) -> str:
        parent_path = self.parent.path if self.parent_id else "/"
        return f"{parent_path}{self.code}/"


class UnitSuccession(models.Model):
    """`predecessor` ceased on `effective_date` and its work passed to `successor`.

    A merge has several predecessors for one successor; a split one predecessor for several
    successors, exactly one of which is `primary` (the one its history is counted under, so
    roll-ups never count a dossier twice).
    """

    class Kind(models.TextChoices):
        MERGE = "merge", _("Sáp nhập")
        SPLIT = "split", _("Chia tách")
        RENAME = "rename", _("Đổi tên")
        REORGANIZE = "reorganize", _("Sắp xếp lại")

    predecessor = models.ForeignKey(
        OrgUnit,
        verbose_name=_("đơn vị trước"),
        on_delete=models.PROTECT,
        related_name="successions_out",
    )
    successor = models.ForeignKey(
        OrgUnit,
        verbose_name=_("đơn vị kế thừa"),
        on_delete=models.PROTECT,
        related_name="successions_in",
    )
    kind = models.CharField(_("hình thức"), max_length=20, choices=Kind.choices)
    effective_date = models.DateField(_("ngày hiệu lực"))
    primary = models.BooleanField(
        _("kế thừa chính"), default=True, help_text=_("Đơn vị nhận số liệu lịch sử khi cộng dồn.")
    )
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255, blank=True)

    class Meta:
        ordering = ["effective_date", "predecessor__path"]
        verbose_name = _("kế thừa đơn vị")
        verbose_name_plural = _("kế thừa đơn vị")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="org_succession_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="org_succession_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective_date})"
