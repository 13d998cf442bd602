"""The demo procedures: real codes, budgets that fill the limit, idempotent, no catalogue needed."""

import pytest

from govqms.procedures import services
from govqms.procedures.catalogue import read_catalogue
from govqms.procedures.demo import CATALOGUE, DEMO, demo_procedures
from govqms.procedures.models import Procedure, ProcedureVersion

pytestmark = pytest.mark.django_db


def test_demo_without_the_catalogue_is_idempotent(tree):
    versions = demo_procedures(ward=tree["ward_a"], province=tree["hanoi"])
    assert len(versions) == len(DEMO) == 10
    assert {v.status for v in versions} == {ProcedureVersion.Status.ACTIVE}
    assert sum(v.unit == tree["ward_a"] for v in versions) == 7
    assert Procedure.objects.count() == 10
    for version in versions:
        check = services.version_check(version)
        assert check.errors == () and check.warnings == (), version  # budgets = the limit
        roles = [s.role for s in version.steps.all()]
        assert roles[0] == roles[-1] == "desk_officer" and "unit_leader" in roles
    birth = next(v for v in versions if v.procedure.code == "1.001193")
    assert (birth.limit_unit, birth.limit_hours) == ("working_days", 8)
    assert birth.procedure.limit_unit == "" and birth.procedure.limit_value == 1  # as published
    permit = next(v for v in versions if v.procedure.code == "1.013236")
    assert (permit.limit_unit, permit.calendar_days, permit.limit_hours) == (
        "calendar_days",
        20,
        112,
    )
    again = demo_procedures(ward=tree["ward_a"], province=tree["hanoi"])
    assert [v.pk for v in again] == [v.pk for v in versions]
    assert ProcedureVersion.objects.count() == 10


@pytest.mark.shared_data
def test_the_transcription_matches_tthc_csv(shared_data):
    wanted = {row[0]: row for row in CATALOGUE}
    found = {}
    for _line, record in read_catalogue(shared_data / "vn" / "tthc.csv"):
        if record.code in wanted:
            found[record.code] = record
    assert set(found) == set(wanted)
    for code, (_c, name, sector, levels, value, unit, text, channels, page) in wanted.items():
        record = found[code]
        assert (record.name, record.sector, record.levels) == (name, sector, levels), code
        assert (record.limit_value, record.limit_unit, record.limit_text) == (
            None if value is None else type(record.limit_value)(value),
            unit,
            text,
        ), code
        assert record.channels == channels and page in record.source, code
