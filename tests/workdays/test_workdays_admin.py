"""The admin edits calendar data through the services (versions + audit), never in place."""

import pytest
from django.urls import reverse

from govqms.core.models import AuditEntry
from govqms.workdays import services
from govqms.workdays.models import CalendarDay
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.GOVQMS_REQUIRE_ADMIN_2FA = False
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    return client


def test_admin_pages_render(admin_client):
    services.calendar_seed(actor=None, years=[2026])
    for model in ("holidaycalendar", "calendarday", "officehours"):
        response = admin_client.get(reverse(f"admin:workdays_{model}_changelist"))
        assert response.status_code == 200, model
    day = CalendarDay.objects.current().first()
    response = admin_client.get(reverse("admin:workdays_calendarday_change", args=[day.pk]))
    assert response.status_code == 200


def test_admin_edit_records_a_new_version_and_delete_withdraws(admin_client):
    cal = services.calendar_seed(actor=None, years=[2026]).calendar
    day = CalendarDay.objects.current().get(calendar=cal, date="2026-11-24")
    url = reverse("admin:workdays_calendarday_change", args=[day.pk])
    response = admin_client.post(
        url, {"kind": "holiday", "name": "Ngày Văn hóa Việt Nam", "legal_basis": "NQ 28/2026/QH16"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    day.refresh_from_db()
    assert day.retired_at is not None
    new = CalendarDay.objects.current().get(calendar=cal, date="2026-11-24")
    assert (new.source, new.legal_basis) == ("admin", "NQ 28/2026/QH16")
    assert AuditEntry.objects.filter(object_type="workdays.calendarday", action="update").exists()
    delete_url = reverse("admin:workdays_calendarday_delete", args=[new.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not CalendarDay.objects.current().filter(calendar=cal, date="2026-11-24").exists()
    assert CalendarDay.objects.filter(calendar=cal, date="2026-11-24").count() == 2
