"""A dossier's calendar is stored on its row (`Dossier.calendar_code`), set when it is opened,
and judges it everywhere: the worklist, the lists, the public lookup, the API."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from govqms.accounts import services as account_services
from govqms.dossiers import api as dossier_api
from govqms.dossiers import ingest, selectors, services, workflows
from govqms.dossiers.models import Dossier

from .conftest import local
from .test_ingest import event, opening

AMS = ZoneInfo("Europe/Amsterdam")
SOURCE = "wabo"
# Wednesday 13 May 2026, 14:00 in Amsterdam (19:00 in Hà Nội); Thursday 14 May is Ascension
# Day, a Dutch holiday and a Vietnamese working day. One working day (8 h, 09:00-17:00 on the
# Dutch calendar) runs to Friday 14:00. At 16:00 on Wednesday the Dutch calendar has 6 working
# hours left (due soon); the Vietnamese one would count all of Thursday and Friday (within).
RECEIVED = dt.datetime(2026, 5, 13, 14, 0, tzinfo=AMS)
NOW = dt.datetime(2026, 5, 13, 16, 0, tzinfo=AMS)


@pytest.fixture
def dutch(version, users):
    """NL-1 from a foreign log (calendar NL) and VN-1 received at the same instant."""
    result = ingest.events_ingest(
        actor=None,
        source=SOURCE,
        records=[
            opening("nl-1", "NL-1", RECEIVED, calendar="NL", actor="desk"),
            opening("vn-1", "VN-1", RECEIVED),
        ],
        now=NOW,
    )
    assert result.rejected == 0, result.errors
    return Dossier.objects.get(code="NL-1")


def _judged(dossier, code):
    """The timeliness of the stored row at NOW on calendar `code`."""
    calendar = services.CalendarCache().for_unit(dossier.competent_unit, code)
    state = workflows.State(status=dossier.status, due_at=dossier.due_at)
    rule = workflows.DueRule(limit=None, due_soon_hours=dossier.version.due_soon_hours)
    return workflows.timeliness(state, now=NOW, rule=rule, calendar=calendar)


def test_the_calendar_is_stored_when_the_dossier_is_opened(dutch):
    assert dutch.calendar_code == "NL"
    assert Dossier.objects.get(code="VN-1").calendar_code == "VN"
    # The scenario tells the two calendars apart.
    assert (_judged(dutch, "NL"), _judged(dutch, "VN")) == ("due_soon", "within")
    assert dutch.due_at == dt.datetime(2026, 5, 15, 14, 0, tzinfo=AMS)
    assert dutch.timeliness == "due_soon"  # computed at ingest, at NOW


def test_foreign_dossiers_are_judged_by_their_calendar_in_the_worklist(dutch, users):
    items = {i.dossier.code: i for i in selectors.worklist(user=users["handler_a"], now=NOW)}
    assert items["NL-1"].timeliness == "due_soon"
    assert items["VN-1"].timeliness == _judged(Dossier.objects.get(code="VN-1"), "VN")
    lookup = selectors.public_lookup("NL-1", now=NOW)
    assert lookup.timeliness == "due_soon"


def test_foreign_dossiers_are_judged_by_their_calendar_in_the_api(
    dutch, users, client, monkeypatch
):
    monkeypatch.setattr(
        dossier_api, "timezone", SimpleNamespace(now=lambda: NOW, is_naive=timezone.is_naive)
    )
    _token, raw = account_services.api_token_create(
        actor=users["handler_a"], user=users["handler_a"], name="t"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    items = client.get("/api/v1/dossiers", **auth).json()["items"]
    vn = _judged(Dossier.objects.get(code="VN-1"), "VN")
    assert {i["code"]: i["timeliness"] for i in items} == {"NL-1": "due_soon", "VN-1": vn}
    body = client.get("/api/v1/dossiers/NL-1", **auth).json()
    assert body["timeliness"] == "due_soon"
    assert body["due_at"] == dutch.due_at.isoformat().replace("+00:00", "Z")


def test_the_stored_calendar_is_kept_by_later_events_and_rebuilds(dutch, users):
    # A later batch: an event without a calendar is judged by the row's; a record naming
    # another calendar for the stored dossier is refused (field calendar).
    later = [
        event("nl-2", "NL-1", "step_started", RECEIVED + dt.timedelta(hours=1), step="XL"),
        opening("nl-3", "NL-1", RECEIVED + dt.timedelta(hours=2), calendar="BE"),
    ]
    result = ingest.events_ingest(actor=None, source=SOURCE, records=later, now=NOW)
    assert result.accepted == 1
    assert [(e.index, e.field) for e in result.errors] == [(1, "calendar")]
    assert "NL" in result.errors[0].message
    # The services read the row's calendar (the desk records an event; the page replays).
    services.dossier_event_record(
        actor=users["handler_a"],
        dossier=dutch,
        kind="step_finished",
        step="XL",
        occurred_at=RECEIVED + dt.timedelta(hours=3),
    )
    record = dutch.step_records.get(step="XL")
    assert record.working_seconds == 2 * 3600
    _state, _rule, calendar = services.dossier_state(dutch)
    assert not calendar.is_working_day(dt.date(2026, 5, 14))
    due = dutch.due_at
    services.dossier_rebuild(dossier=Dossier.objects.get(pk=dutch.pk), now=NOW)
    assert Dossier.objects.get(pk=dutch.pk).due_at == due


def test_desk_dossiers_use_the_default_calendar(version, users, tree):
    dossier = services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        at=local(2026, 5, 13, 9, 0),
    )
    assert dossier.calendar_code == "VN"
