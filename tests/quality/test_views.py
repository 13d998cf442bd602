"""The /chat-luong/ page: who sees it, what it shows, and the signal actions."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govqms.quality import services
from govqms.quality.models import SpcSignal

URL = "/chat-luong/"


@pytest.fixture
def signal(spike, tree):
    services.spc_scan(unit=tree["ward_a"], as_of=dt.date(2025, 10, 1))
    return SpcSignal.objects.get(series="p")


def action_url(signal, action):
    return reverse("quality:signal_action", args=[signal.pk, action])


def test_the_page_lists_objectives_and_signals_with_evidence(client, users, objective, signal):
    services.objectives_measure(as_of=dt.date(2025, 10, 1))
    client.force_login(users["quality_a"])
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert objective.title in html
    assert "Không đạt" in html  # September: 1 of 6 on time — the status is written, not coloured
    assert "badge-t-late" in html
    assert "WE1" in html and "2025-09" in html
    assert "83,33 %" in html  # the late share of the trigger month, in % (vi: decimal comma)
    assert "5 / 6" in html
    for dossier_code in signal.evidence["dossiers"]["codes"]:
        assert dossier_code in html
    assert action_url(signal, "ghi-nhan") in html  # the officer may act
    assert 'href="/chat-luong/"' in html  # the navigation item


def test_viewers_without_manage_see_no_forms(client, users, signal):
    client.force_login(users["leader_a"])
    response = client.get(URL)
    assert response.status_code == 200
    assert "WE1" in response.content.decode()
    assert action_url(signal, "ghi-nhan") not in response.content.decode()


def test_other_wards_see_nothing_of_ward_a(client, users, objective, signal):
    client.force_login(users["leader_b"])
    html = client.get(URL).content.decode()
    assert objective.title not in html
    assert "WE1" not in html


@pytest.mark.parametrize("who", ["desk_a", "handler_a", "nobody"])
def test_people_without_quality_view_are_refused(client, users, who):
    client.force_login(users[who])
    assert client.get(URL).status_code == 403
    assert 'href="/chat-luong/"' not in client.get("/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_acknowledge_then_dismiss(client, users, signal):
    client.force_login(users["quality_a"])
    response = client.post(action_url(signal, "ghi-nhan"), {"reason": "Phòng đang xem xét"})
    assert response.status_code == 302
    signal.refresh_from_db()
    assert (signal.status, signal.status_reason) == ("acknowledged", "Phòng đang xem xét")
    # Dismissing needs a reason: refused with a message, nothing changes.
    response = client.post(action_url(signal, "bo-qua"), {"reason": ""}, follow=True)
    assert "Cần nêu lý do" in response.content.decode()
    signal.refresh_from_db()
    assert signal.status == "acknowledged"
    client.post(action_url(signal, "bo-qua"), {"reason": "Lỗi nhập liệu tháng 9"})
    signal.refresh_from_db()
    assert signal.status == "dismissed"
    assert "2025-09" not in client.get(URL).content.decode().split("signals-h")[1]


def test_actions_outside_scope_answer_404_and_without_manage_403(client, users, signal, quality_b):
    client.force_login(quality_b)
    assert client.post(action_url(signal, "ghi-nhan")).status_code == 404
    client.force_login(users["leader_a"])  # may see the signal, may not act on it
    assert client.post(action_url(signal, "ghi-nhan")).status_code == 403
    client.force_login(users["quality_a"])
    assert client.get(action_url(signal, "ghi-nhan")).status_code == 405
    assert client.post(action_url(signal, "xoa")).status_code == 404
    signal.refresh_from_db()
    assert signal.status == "open"


def test_the_page_does_not_query_per_row(client, users, tree, objective, signal):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(users["quality_a"])
    services.objectives_measure(as_of=dt.date(2025, 10, 1))
    few = queries()
    for unit in ("ward_a", "div_a", "div_a"):
        services.objective_create(
            actor=None,
            unit=tree[unit],
            title=f"Mục tiêu {unit}",
            indicator="SHARE_FINISHED_LATE",
            target=5,
            period="month",
            start=dt.date(2025, 1, 1),
            owner=users["quality_a"],
        )
    services.objectives_measure(as_of=dt.date(2025, 10, 1))
    services.spc_scan(unit=tree["hanoi"], as_of=dt.date(2025, 10, 1))  # three more signals
    assert queries() == few <= 15
