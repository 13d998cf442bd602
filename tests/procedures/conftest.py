from decimal import Decimal

import pytest

from govqms.procedures import services
from govqms.procedures.specs import StepSpec


def steps(*budgets, groups=None) -> list[StepSpec]:
    """Steps TN/TD/KY/TKQ… with the given budgets (hours); `groups` maps index → group."""
    codes = ["TN", "TD", "KY", "TKQ", "S5", "S6", "S7"]
    roles = ["desk_officer", "case_handler", "unit_leader", "desk_officer"] + ["case_handler"] * 3
    wheres = ["receiving", "competent", "competent", "returning"] + ["competent"] * 3
    groups = groups or {}
    return [
        StepSpec(
            code=codes[i],
            name=f"Bước {codes[i]}",
            role=roles[i],
            where=wheres[i],
            budget_hours=Decimal(b),
            parallel_group=groups.get(i, ""),
        )
        for i, b in enumerate(budgets)
    ]


@pytest.fixture
def birth(db):
    procedure, _ = services.procedure_upsert(
        actor=None,
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        sector="Hộ tịch",
        levels=["Cấp xã"],
        limit_value=Decimal(1),
        limit_unit="",
        limit_text="1",
    )
    return procedure


@pytest.fixture
def draft(tree, birth):
    return services.version_create_draft(
        actor=None,
        procedure=birth,
        unit=tree["ward_a"],
        limit_unit="working_days",
        limit_hours=Decimal(8),
        steps=steps(1, 4, 2, 1),
        due_soon_hours=Decimal(2),
    )
