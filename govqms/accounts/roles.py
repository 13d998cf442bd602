"""Roles and what each may do. A role is granted at an org node and covers its whole subtree."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DESK_OFFICER = "desk_officer", _("Cán bộ một cửa")
    CASE_HANDLER = "case_handler", _("Chuyên viên xử lý")
    UNIT_LEADER = "unit_leader", _("Lãnh đạo đơn vị")
    QUALITY_OFFICER = "quality_officer", _("Thư ký ISO")
    INTERNAL_AUDITOR = "internal_auditor", _("Đánh giá viên nội bộ")
    PROVINCE_OVERSEER = "province_overseer", _("Cán bộ giám sát cấp tỉnh")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


# Permission codes are "<area>.<verb>". Later apps add their own codes here.
PERMISSIONS: dict[str, str] = {
    "org.view": _("Xem cơ cấu tổ chức"),
    "org.manage": _("Quản lý cơ cấu tổ chức"),
    "accounts.view": _("Xem tài khoản"),
    "accounts.manage": _("Quản lý tài khoản và phân quyền"),
    "audit.view": _("Xem nhật ký kiểm toán"),
    "dossier.view": _("Xem hồ sơ"),
    "dossier.receive": _("Tiếp nhận hồ sơ"),
    "dossier.process": _("Xử lý hồ sơ"),
    "dossier.approve": _("Phê duyệt hồ sơ"),
    "report.view": _("Xem báo cáo, chỉ số"),
    "quality.view": _("Xem hệ thống quản lý chất lượng"),
    "quality.manage": _("Quản lý hệ thống quản lý chất lượng"),
    "audit_program.manage": _("Quản lý chương trình đánh giá nội bộ"),
    "workdays.manage": _("Quản lý lịch làm việc"),
}

_STAFF = {"org.view", "dossier.view"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DESK_OFFICER: frozenset(_STAFF | {"dossier.receive"}),
    Role.CASE_HANDLER: frozenset(_STAFF | {"dossier.process"}),
    Role.UNIT_LEADER: frozenset(
        _STAFF
        | {"dossier.process", "dossier.approve", "report.view", "accounts.view", "quality.view"}
    ),
    Role.QUALITY_OFFICER: frozenset(
        _STAFF | {"report.view", "quality.view", "quality.manage", "audit.view"}
    ),
    Role.INTERNAL_AUDITOR: frozenset(
        _STAFF | {"report.view", "quality.view", "audit.view", "audit_program.manage"}
    ),
    Role.PROVINCE_OVERSEER: frozenset(_STAFF | {"report.view", "quality.view", "audit.view"}),
    Role.ADMINISTRATOR: frozenset(PERMISSIONS),
}


def role_has(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
