"""Demo dossiers: a month of realistic traffic at one ward, driven through the real services.

Every dossier is received by the desk officer, handled step by step by the case handler,
signed by the leader and returned, with the variety a real month has: early and late
finishes, a supplement request, a financial obligation, an apology & re-appointment, a
withdrawal, a refusal, and open dossiers within limit, due soon and overdue. Deterministic
(seeded), idempotent (skipped when the demo dossiers exist).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from govqms.dossiers import services as dossier_services
from govqms.dossiers.models import Dossier
from govqms.procedures.models import ProcedureVersion
from govqms.workdays.selectors import workcalendar_for_unit

SOURCE = "demo"
FIRST_NAMES = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hoa",
    "Khánh",
    "Lan",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Ngọc",
    "Phương",
    "Quân",
    "Thảo",
    "Trang",
    "Tuấn",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"]


def demo_dossiers(*, ward, users: dict, count: int = 60, now: dt.datetime | None = None) -> int:
    """Create `count` dossiers at `ward` over the last ~6 weeks; returns how many were created."""
    if Dossier.objects.filter(source=SOURCE, receiving_unit=ward).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(2026)
    versions = list(
        ProcedureVersion.objects.active()
        .filter(unit=ward)
        .select_related("procedure")
        .prefetch_related("steps")
    )
    if not versions:
        return 0
    calendar = workcalendar_for_unit(unit=ward)
    desk, handler, leader = users["desk"], users["handler"], users["leader"]
    start = now - dt.timedelta(days=42)
    created = 0
    for i in range(count):
        version = rng.choice(versions)
        steps = [s for s in version.steps.all() if s.role != "desk_officer"]
        received = calendar.counting_start(
            start + dt.timedelta(minutes=rng.randint(0, int((now - start).total_seconds() // 60)))
        )
        if received >= now - dt.timedelta(hours=1):
            continue
        applicant = dossier_services.ApplicantData(
            name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(FIRST_NAMES)}",
            phone=f"09{rng.randint(10_000_000, 99_999_999)}",
        )
        if rng.random() < 0.04:
            _refused(version, ward, desk, applicant, received, i)
            created += 1
            continue
        dossier = dossier_services.dossier_open(
            actor=desk,
            version=version,
            receiving_unit=ward,
            channel=rng.choice(["counter", "counter", "online", "postal"]),
            applicant=applicant,
            at=received,
            source=SOURCE,
            source_id=f"demo-{i}",
        )
        created += 1
        # Speed of this dossier: most run at or under budget, some slower than allowed.
        pace = rng.choice([0.4, 0.6, 0.8, 0.9, 1.0, 1.0, 1.3, 1.8])
        at = received
        plot = rng.random()
        for index, step in enumerate(steps):
            actor = leader if step.role == "unit_leader" else handler
            if at >= now:
                break
            _event(actor, dossier, "step_started", at, step=step.code)
            if index == 0 and plot < 0.08:  # the one written guidance to supplement
                pause_at = calendar.add_working_hours(at, Decimal("0.5"))
                if pause_at >= now:
                    break
                _event(
                    actor,
                    dossier,
                    "supplement_requested",
                    pause_at,
                    reason="Bổ sung bản sao giấy tờ tùy thân còn hạn sử dụng.",
                )
                at = calendar.add_working_hours(pause_at, Decimal(rng.choice([4, 8, 16])))
                if at >= now:
                    break
                _event(desk, dossier, "supplement_provided", at)
            if index == 0 and 0.08 <= plot < 0.12:  # apology & re-appointment before the due
                dossier.refresh_from_db()
                if dossier.due_at and at < dossier.due_at:
                    _event(
                        leader,
                        dossier,
                        "reappointed",
                        at,
                        reason="Cần xác minh thông tin với cơ quan khác.",
                        data={
                            "new_due_at": calendar.add_working_hours(
                                dossier.due_at, Decimal(16)
                            ).isoformat()
                        },
                    )
            budget = step.budget_hours * Decimal(str(pace))
            at = calendar.add_working_hours(at, max(budget, Decimal("0.25")))
            if at >= now:
                break
            _event(actor, dossier, "step_finished", at, step=step.code)
        else:
            if plot > 0.97:
                _event(desk, dossier, "withdrawn", at, reason="Công dân xin rút hồ sơ.")
                continue
            _event(leader, dossier, "finished", at)
            returned = calendar.add_working_hours(at, Decimal(rng.choice([0.5, 1, 4])))
            if returned < now:
                _event(desk, dossier, "returned", returned, data={"method": "counter"})
    return created


def _event(actor, dossier, kind, at, **fields):
    dossier_services.dossier_event_record(
        actor=actor, dossier=dossier, kind=kind, occurred_at=at, **fields
    )


def _refused(version, ward, desk, applicant, at, i):
    dossier = dossier_services.dossier_open(
        actor=desk,
        version=version,
        receiving_unit=ward,
        channel="online",
        applicant=applicant,
        at=at,
        online=True,
        source=SOURCE,
        source_id=f"demo-{i}",
    )
    _event(
        desk,
        dossier,
        "refused",
        at + dt.timedelta(minutes=20),
        reason="Hồ sơ không thuộc thẩm quyền giải quyết của phường.",
    )
