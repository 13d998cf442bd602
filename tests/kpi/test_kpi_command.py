"""`govqms kpi` and `govqms rebuild-rollups`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from govqms.kpi import indicators
from govqms.kpi.models import DailyRollup
from tests.dossiers.conftest import local, version  # noqa: F401  (fixture)
from tests.kpi.test_rollups import open_dossier, record


@pytest.fixture
def dossiers(version, tree):  # noqa: F811
    early = open_dossier(version, tree["ward_a"], at=local(2026, 3, 2, 9, 0))
    record(early, "finished", at=local(2026, 3, 2, 15, 0))
    late = open_dossier(version, tree["ward_a"], at=local(2026, 3, 3, 9, 0), channel="online")
    record(late, "finished", at=local(2026, 3, 5, 9, 0))
    open_dossier(version, tree["ward_a"], at=local(2026, 3, 9, 9, 0))
    return version


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_kpi_json_prints_every_indicator_with_its_counts(dossiers):
    out = run(
        "kpi",
        "--org",
        "01",
        "--subtree",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--as-of",
        "2026-03-10T10:00",
        "--json",
    )
    data = json.loads(out)
    assert (data["org"], data["subtree"], data["from"], data["to"]) == (
        "01",
        True,
        "2026-03-01",
        "2026-03-31",
    )
    rows = {row["code"]: row for row in data["indicators"]}
    assert set(rows) == set(indicators.REGISTRY)
    for row in rows.values():
        assert {"numerator", "denominator", "value", "unit", "name"} <= set(row)
    on_time = rows["SHARE_FINISHED_ON_TIME"]
    assert (on_time["numerator"], on_time["denominator"], on_time["value"]) == (1, 2, 50.0)
    assert rows["OPEN_OVERDUE"]["value"] == 1
    assert data["counts"]["received_online"] == 1


def test_kpi_table_and_procedure_filter(dossiers):
    out = run(
        "kpi",
        "--org",
        "00070",
        "--procedure",
        dossiers.procedure.code,
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--as-of",
        "2026-03-10T10:00",
    )
    assert "SHARE_FINISHED_ON_TIME" in out and "50.00%" in out and "1 / 2" in out
    assert "SATISFACTION" in out and "N/A" in out
    assert "MEDIAN_PROCESSING_DAYS" in out and "(ước tính)" in out
    none = run("kpi", "--org", "00004", "--from", "2026-03-01", "--to", "2026-03-31", "--json")
    assert {r["code"]: r for r in json.loads(none)["indicators"]}["BACKLOG"]["value"] == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--org", "01", "--from", "2026-13-01", "--to", "2026-03-31"], "--from"),
        (["--org", "01", "--from", "2026-03-01", "--to", "31/03/2026"], "--to"),
        (["--org", "01", "--from", "2026-03-31", "--to", "2026-03-01"], "--to"),
        (["--org", "99999", "--from", "2026-03-01", "--to", "2026-03-31"], "--org"),
        (
            ["--org", "01", "--procedure", "X", "--from", "2026-03-01", "--to", "2026-03-31"],
            "--procedure",
        ),
        (["--org", "01", "--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "x"], "--as-of"),
        (["--from", "2026-03-01", "--to", "2026-03-31"], "--org"),
    ],
)
def test_kpi_bad_arguments_name_the_argument(tree, args, named):
    with pytest.raises(CommandError, match=named):
        run("kpi", *args)


def test_rebuild_rollups_prints_how_many_rows_changed(dossiers, tree):
    assert "rollups rebuilt: 0 rows changed" in run("rebuild_rollups")
    DailyRollup.objects.filter(unit=tree["ward_a"]).update(received=9)  # 4 days: 2, 3, 5, 9 Mar
    out = run("rebuild_rollups", "--org", "00070")
    assert "rollups rebuilt: 4 rows changed (0 created, 4 updated, 0 deleted" in out
    assert DailyRollup.objects.filter(received=9).count() == 0
    with pytest.raises(CommandError, match="--org"):
        run("rebuild_rollups", "--org", "nope")
