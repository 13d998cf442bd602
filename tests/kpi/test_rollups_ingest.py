"""Bulk ingestion keeps the KPI rollups current: after any batches, a rebuild changes nothing."""

from govqms.dossiers import ingest
from govqms.kpi.models import DailyRollup
from govqms.kpi.rollups import rollups_rebuild
from tests.dossiers.conftest import local, version  # noqa: F401  (fixture)
from tests.dossiers.test_ingest import SOURCE, event, full_path, opening


def test_ingested_batches_leave_rollups_equal_to_a_rebuild(version, users):  # noqa: F811
    first = (
        full_path("a", "D-1")
        + full_path("b", "D-2", day=4)
        + [
            opening("c-1", "D-3", local(2026, 3, 5, 9, 0)),
        ]
    )
    result = ingest.events_ingest(actor=None, source=SOURCE, records=first)
    assert result.rejected == 0
    # A second batch continues an open dossier (late finish) and returns a finished one.
    second = [
        event("c-2", "D-3", "finished", local(2026, 3, 9, 10, 0)),
        event("a-5", "D-1", "returned", local(2026, 3, 4, 8, 0)),
    ]
    assert ingest.events_ingest(actor=None, source=SOURCE, records=second).rejected == 0
    before = {(r.unit_id, r.procedure_id, r.day): r.counters() for r in DailyRollup.objects.all()}
    assert sum(c.get("finished", 0) for c in before.values()) == 3
    assert rollups_rebuild().changed == 0
    after = {(r.unit_id, r.procedure_id, r.day): r.counters() for r in DailyRollup.objects.all()}
    assert after == before
