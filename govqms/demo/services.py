"""The demo set-up: real Hanoi divisions, a realistic agency structure, one user per role.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from govqms.accounts import services as account_services
from govqms.accounts.models import User
from govqms.accounts.roles import Role
from govqms.org import services as org_services
from govqms.org.divisions import divisions_import
from govqms.org.models import OrgUnit
from govqms.procedures.demo import demo_procedures

from .dossiers import demo_dossiers

DEMO_PASSWORD = "govqms-demo"  # noqa: S105 - printed on purpose: demo logins only
HANOI = "01"
SOURCE = "demo"

# City departments (sở) and the city's public administration service centre with branches.
DEPARTMENTS = [
    ("01-VP", "Văn phòng Ủy ban nhân dân Thành phố"),
    ("01-SNV", "Sở Nội vụ"),
    ("01-STP", "Sở Tư pháp"),
    ("01-SXD", "Sở Xây dựng"),
    ("01-SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("01-STC", "Sở Tài chính"),
    ("01-SYT", "Sở Y tế"),
]
SERVICE_CENTRE = ("01-TTPVHCC", "Trung tâm Phục vụ hành chính công Thành phố Hà Nội")

# Wards and communes (real names; codes come from the imported national list) and the internal
# divisions a commune-level government has had since the 2025 reform.
WARDS = ["Phường Hoàn Kiếm", "Phường Ba Đình", "Phường Cầu Giấy", "Xã Sóc Sơn"]
WARD_DIVISIONS = [
    ("VP", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", OrgUnit.Kind.DIVISION),
    ("KT", "Phòng Kinh tế, Hạ tầng và Đô thị", OrgUnit.Kind.DIVISION),
    ("VHXH", "Phòng Văn hóa - Xã hội", OrgUnit.Kind.DIVISION),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công", OrgUnit.Kind.SERVICE_CENTRE),
]

# (username, full name, role, where the role is granted, where the person works). Roles over
# dossiers are granted at the competent unit (the ward); people work in its divisions.
DEMO_USERS = [
    ("quantri", "Quản trị hệ thống", Role.ADMINISTRATOR, "city", "city"),
    ("giamsat", "Nguyễn Văn Giám", Role.PROVINCE_OVERSEER, "city", "city"),
    ("danhgia", "Trần Thị Đánh", Role.INTERNAL_AUDITOR, "city", "city"),
    ("motcua", "Lê Thị Một", Role.DESK_OFFICER, "ward", "ward:TTPVHCC"),
    ("chuyenvien", "Phạm Văn Xử", Role.CASE_HANDLER, "ward", "ward:VP"),
    ("lanhdao", "Hoàng Văn Lãnh", Role.UNIT_LEADER, "ward", "ward"),
    ("thuky", "Vũ Thị Thư", Role.QUALITY_OFFICER, "ward", "ward"),
    ("motcua_bd", "Đỗ Thị Ba", Role.DESK_OFFICER, "ward2", "ward2:TTPVHCC"),
]


@dataclass
class DemoReport:
    units_created: int = 0
    users_created: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    totp_secrets: dict[str, str] = field(default_factory=dict)
    divisions: dict = field(default_factory=dict)
    procedures: int = 0
    dossiers_created: int = 0


def _unit(code, name, kind, parent, report: DemoReport) -> OrgUnit:
    existing = OrgUnit.objects.current().filter(code=code).first()
    if existing is not None:
        return existing
    report.units_created += 1
    return org_services.unit_create(
        actor=None, code=code, name=name, kind=kind, parent=parent, source=SOURCE
    )


@transaction.atomic
def demo_build() -> DemoReport:
    report = DemoReport()
    report.divisions = divisions_import(actor=None, province=HANOI, include_history=True).as_dict()
    hanoi = OrgUnit.objects.current().get(code=HANOI)

    for code, name in DEPARTMENTS:
        _unit(code, name, OrgUnit.Kind.DEPARTMENT, hanoi, report)
    centre = _unit(*SERVICE_CENTRE, OrgUnit.Kind.SERVICE_CENTRE, hanoi, report)

    wards = []
    for name in WARDS:
        ward = OrgUnit.objects.current().get(parent=hanoi, name=name)
        wards.append(ward)
        _unit(
            f"{centre.code}-{ward.code}",
            f"Chi nhánh tại {ward.name}",
            OrgUnit.Kind.SERVICE_BRANCH,
            centre,
            report,
        )
        for suffix, div_name, kind in WARD_DIVISIONS:
            label = f"{div_name} {ward.name[0].lower()}{ward.name[1:]}"
            _unit(f"{ward.code}-{suffix}", label, kind, ward, report)

    places = {"city": hanoi, "centre": centre, "ward": wards[0], "ward2": wards[1]}

    def place(where: str) -> OrgUnit:
        base, _sep, division = where.partition(":")
        unit = places[base]
        if division:
            unit = OrgUnit.objects.current().get(code=f"{unit.code}-{division}")
        return unit

    for username, full_name, role, granted_at, works_at in DEMO_USERS:
        unit, home = place(granted_at), place(works_at)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                full_name=full_name,
                home_unit=home,
                is_staff=role == Role.ADMINISTRATOR,
                check_password=False,
            )
            report.users_created += 1
        account_services.role_grant(actor=None, user=user, role=role, unit=unit)
        report.logins.append((username, str(Role(role).label), home.name))
        if role == Role.ADMINISTRATOR:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
            report.totp_secrets[username] = base64.b32encode(device.bin_key).decode()
    report.procedures = len(demo_procedures(ward=wards[0], province=hanoi))
    people = {
        u.username: u for u in User.objects.filter(username__in=["motcua", "chuyenvien", "lanhdao"])
    }
    report.dossiers_created = demo_dossiers(
        ward=wards[0],
        users={
            "desk": people["motcua"],
            "handler": people["chuyenvien"],
            "leader": people["lanhdao"],
        },
    )
    return report
