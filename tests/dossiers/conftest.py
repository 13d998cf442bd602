import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from govqms.procedures.models import Procedure, ProcedureVersion, Step

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HCM)


@pytest.fixture
def version(tree):
    """Đăng ký khai sinh at ward A: 1 working day (8 h) in three steps."""
    procedure = Procedure.objects.create(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        sector="Hộ tịch",
        limit_value=Decimal(1),
        limit_unit="working_days",
    )
    v = ProcedureVersion.objects.create(
        procedure=procedure,
        unit=tree["ward_a"],
        number=1,
        status="active",
        limit_unit="working_days",
        limit_hours=Decimal(8),
    )
    Step.objects.bulk_create(
        [
            Step(
                version=v,
                order=1,
                code="TN",
                name="Tiếp nhận",
                role="desk_officer",
                where="receiving",
                budget_hours=Decimal("0.5"),
            ),
            Step(
                version=v,
                order=2,
                code="XL",
                name="Thẩm định, trình ký",
                role="case_handler",
                budget_hours=Decimal(6),
            ),
            Step(
                version=v,
                order=3,
                code="KY",
                name="Ký duyệt",
                role="unit_leader",
                budget_hours=Decimal("1.5"),
            ),
        ]
    )
    return v
