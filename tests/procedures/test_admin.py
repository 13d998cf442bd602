"""The admin saves through the services: drafts editable, other versions read-only."""

import pytest
from django.urls import reverse

from govqms.core.models import AuditEntry
from govqms.procedures.models import ProcedureVersion
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings, tree):
    settings.GOVQMS_REQUIRE_ADMIN_2FA = False
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    return client


def _step_management(prefix="steps", total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_pages_render(admin_client, draft):
    for name in ("procedure", "procedureversion", "step"):
        assert admin_client.get(reverse(f"admin:procedures_{name}_changelist")).status_code == 200
    url = reverse("admin:procedures_procedureversion_change", args=[draft.pk])
    assert admin_client.get(url).status_code == 200
    url = reverse("admin:procedures_procedure_change", args=[draft.procedure.pk])
    assert admin_client.get(url).status_code == 200


def test_add_a_draft_with_steps_then_activate(admin_client, birth, tree):
    data = {
        "procedure": birth.pk,
        "unit": tree["ward_a"].pk,
        "limit_unit": "working_days",
        "limit_hours": "8",
        "calendar_days": "",
        "due_soon_hours": "2",
        "document_code": "QT-01",
        "notes": "",
        **_step_management(total=2),
    }
    for i, (code, role, hours) in enumerate(
        [("TN", "desk_officer", "2"), ("TD", "case_handler", "6")]
    ):
        data.update({
            f"steps-{i}-order": str(i + 1), f"steps-{i}-code": code, f"steps-{i}-name": code,
            f"steps-{i}-role": role, f"steps-{i}-where": "competent",
            f"steps-{i}-budget_hours": hours,
        })  # fmt: skip
    response = admin_client.post(reverse("admin:procedures_procedureversion_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    version = ProcedureVersion.objects.get()
    assert (version.number, version.status, version.created_by.username) == (1, "draft", "root")
    assert [s.code for s in version.steps.all()] == ["TN", "TD"]
    changelist = reverse("admin:procedures_procedureversion_changelist")
    admin_client.post(changelist, {"action": "activate", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == "active"
    assert AuditEntry.objects.filter(object_id=str(version.pk), actor__username="root").count() >= 3


def test_bad_steps_are_form_errors(admin_client, draft):
    url = reverse("admin:procedures_procedureversion_change", args=[draft.pk])
    data = {
        "limit_unit": "working_days", "limit_hours": "8", "calendar_days": "",
        "due_soon_hours": "2", "document_code": "", "notes": "",
        **_step_management(total=1),
        "steps-0-order": "1", "steps-0-code": "X", "steps-0-name": "X",
        "steps-0-role": "wizard", "steps-0-where": "competent", "steps-0-budget_hours": "1",
    }  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "wizard" in response.content.decode()


def test_active_versions_are_read_only(admin_client, draft):
    from govqms.procedures import services

    services.version_activate(actor=None, version=draft)
    url = reverse("admin:procedures_procedureversion_change", args=[draft.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="limit_hours"' not in page
    assert 'name="steps-0-budget_hours"' not in page


def test_procedure_change_goes_through_the_upsert(admin_client, birth):
    url = reverse("admin:procedures_procedure_change", args=[birth.pk])
    data = {
        "name": birth.name, "sector": "Hộ tịch (sửa)", "levels": '["Cấp xã"]',
        "limit_value": "1", "limit_unit": "", "limit_text": "1", "fee_text": "",
        "channels": "[]", "online_level": "", "documents": "[]", "legal_basis": "[]",
        "source": "",
    }  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    birth.refresh_from_db()
    assert birth.sector == "Hộ tịch (sửa)"
    entry = AuditEntry.objects.filter(object_type="procedures.procedure", action="update").get()
    assert entry.changes == {"sector": ["Hộ tịch", "Hộ tịch (sửa)"]}
    assert entry.actor.username == "root"
