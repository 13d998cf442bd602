"""Quality fixtures: dossiers finished early or late in chosen months, through the real
dossier services, with the KPI rollups brought up to date."""

import datetime as dt
from decimal import Decimal

import pytest

from govqms.accounts.roles import Role
from govqms.dossiers import services as dossier_services
from govqms.kpi import rollups
from govqms.quality import services
from tests.conftest import make_user
from tests.dossiers.conftest import local, version  # noqa: F401  (fixture)


def second_tuesday(year: int, month: int) -> dt.date:
    """A working Tuesday clear of the 2025 holidays (Tết, 30/4–1/5, 2/9)."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(1 - first.weekday()) % 7 + 7)


def finish_dossiers(version, unit, year, month, *, early=0, late=0):  # noqa: F811
    """Dossiers received on the month's second Tuesday at 09:00 (due Wednesday 09:00 for the
    one-working-day procedure): early ones finish that day at 14:00 (4 working hours), late
    ones on Thursday 09:00 (16 working hours = 2 days)."""
    day = second_tuesday(year, month)
    received = local(day.year, day.month, day.day, 9, 0)
    dossiers = []
    for i in range(early + late):
        dossier = dossier_services.dossier_open(
            actor=None,
            version=version,
            receiving_unit=unit,
            channel="counter",
            applicant=dossier_services.ApplicantData(name="Nguyễn Văn A"),
            at=received + dt.timedelta(minutes=i),
        )
        finish = received + dt.timedelta(hours=5) if i < early else received + dt.timedelta(days=2)
        dossier_services.dossier_event_record(
            actor=None, dossier=dossier, kind="finished", occurred_at=finish
        )
        dossiers.append(dossier)
    return dossiers


def sync_rollups():
    """Rollups equal to the dossiers whether or not the dossier services book them yet."""
    rollups.rollups_rebuild()


@pytest.fixture
def quality_b(tree):
    return make_user("quality_b", Role.QUALITY_OFFICER, tree["ward_b"])


@pytest.fixture
def objective(tree, users):
    return services.objective_create(
        actor=users["quality_a"],
        unit=tree["ward_a"],
        title="Ít nhất 90% hồ sơ giải quyết đúng hạn",
        indicator="SHARE_FINISHED_ON_TIME",
        target=Decimal(90),
        period="month",
        start=dt.date(2025, 4, 1),
        end=dt.date(2025, 12, 31),
        owner=users["leader_a"],
        at_risk_margin=Decimal(5),
    )


@pytest.fixture
def objective_history(version, tree):  # noqa: F811
    """Ward A: April 4/4 on time, May 7/8, June 1/2, nothing in July."""
    ward = tree["ward_a"]
    finish_dossiers(version, ward, 2025, 4, early=4)
    finish_dossiers(version, ward, 2025, 5, early=7, late=1)
    finish_dossiers(version, ward, 2025, 6, early=1, late=1)
    sync_rollups()


@pytest.fixture
def spike(version, tree):  # noqa: F811
    """Ward A, April–September 2025, six dossiers a month, all early except five of
    September's, which are late: a spike of the late share (and of processing time)."""
    ward = tree["ward_a"]
    late = []
    for month in range(4, 9):
        finish_dossiers(version, ward, 2025, month, early=6)
    late = finish_dossiers(version, ward, 2025, 9, early=1, late=5)[1:]
    sync_rollups()
    return {"late": late}
