"""Versions: draft → active → retired; edits make new drafts; rules; permissions; audit."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govqms.core.audit import audit_verify
from govqms.core.models import AuditEntry
from govqms.procedures import selectors, services
from govqms.procedures.models import ProcedureVersion
from govqms.procedures.specs import StepSpec

from .conftest import steps

pytestmark = pytest.mark.django_db
Status = ProcedureVersion.Status


def test_create_draft_numbers_and_stores_steps(draft, tree, birth):
    assert (draft.number, draft.status, draft.limit_hours) == (1, Status.DRAFT, 8)
    assert list(draft.steps.values_list("order", "code")) == [
        (1, "TN"),
        (2, "TD"),
        (3, "KY"),
        (4, "TKQ"),
    ]
    second = services.version_create_draft(
        actor=None,
        procedure=birth,
        unit=tree["ward_a"],
        limit_unit="working_hours",
        limit_hours=Decimal(4),
        steps=steps(1, 3),
    )
    assert second.number == 2
    entry = AuditEntry.objects.filter(object_type="procedures.procedureversion").first()
    assert entry.action == "create" and entry.unit_path == tree["ward_a"].path
    assert entry.changes["steps"][1][0][0] == "TN"


def test_edit_a_draft_in_place(draft, users):
    edited = services.version_edit(
        actor=users["quality_a"], version=draft, steps=steps(2, 3, 2, 1), notes="sửa"
    )
    assert edited.pk == draft.pk and edited.number == 1
    assert [s.budget_hours for s in edited.steps.all()] == [2, 3, 2, 1]
    assert edited.notes == "sửa"
    same = services.version_edit(actor=users["quality_a"], version=edited, notes="sửa")
    assert same.pk == draft.pk
    assert AuditEntry.objects.filter(action="update", object_id=str(draft.pk)).count() == 1


def test_edit_an_active_version_makes_a_new_draft_and_leaves_it_alone(draft, users):
    active = services.version_activate(actor=users["quality_a"], version=draft)
    new = services.version_edit(actor=users["quality_a"], version=active, steps=steps(1, 5, 1, 1))
    assert new.pk != active.pk
    assert (new.number, new.status, new.based_on_id) == (2, Status.DRAFT, active.pk)
    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert [s.budget_hours for s in active.steps.all()] == [1, 4, 2, 1]
    assert [s.budget_hours for s in new.steps.all()] == [1, 5, 1, 1]
    # No change → no new draft.
    assert services.version_edit(actor=None, version=active, notes="").pk == active.pk


def test_activate_retires_the_previous_version(draft, users, tree):
    first = services.version_activate(actor=users["quality_a"], version=draft)
    assert first.activated_at is not None
    second = services.version_edit(actor=None, version=first, due_soon_hours=Decimal(3))
    second = services.version_activate(actor=users["admin"], version=second)
    first.refresh_from_db()
    assert (first.status, second.status) == (Status.RETIRED, Status.ACTIVE)
    assert first.retired_at == second.activated_at
    with pytest.raises(ValidationError):
        services.version_edit(actor=None, version=first, notes="x")
    with pytest.raises(ValidationError):
        services.version_activate(actor=None, version=second)
    assert audit_verify()[1] is None


def test_activation_rules(birth, tree):
    empty = services.version_create_draft(
        actor=None, procedure=birth, unit=tree["ward_a"], limit_unit="working_days",
        limit_hours=Decimal(8),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="chưa có bước"):
        services.version_activate(actor=None, version=empty)
    over = services.version_edit(actor=None, version=empty, steps=steps(2, 5, 2, 1))
    with pytest.raises(ValidationError, match="vượt thời hạn"):
        services.version_activate(actor=None, version=over)
    # A parallel group counts once, by its longest member: 1 + max(4, 6) + 1 = 8 fits.
    parallel = services.version_edit(
        actor=None, version=over, steps=steps(1, 4, 6, 1, groups={1: "G", 2: "G"})
    )
    assert services.version_check(parallel).critical_path_hours == 8
    services.version_activate(actor=None, version=parallel)
    # Slack is a warning, recorded in the audit entry of the activation.
    slack = services.version_edit(actor=None, version=parallel, steps=steps(1, 2, 1, 1))
    assert services.version_check(slack).warnings
    services.version_activate(actor=None, version=slack)
    entry = AuditEntry.objects.filter(object_id=str(slack.pk), action="update").last()
    assert "chưa được phân bổ" in entry.reason


def test_step_rules(birth, tree):
    bad = [
        StepSpec("A", "Một", "desk_officer", Decimal(1)),
        StepSpec("A", "Hai", "wizard", Decimal(1), where="nowhere"),
        StepSpec("B", "Ba", "case_handler", Decimal(1), parallel_group="G"),
        StepSpec("C", "Bốn", "case_handler", Decimal(1)),
        StepSpec("D", "Năm", "case_handler", Decimal(1), parallel_group="G"),
    ]
    with pytest.raises(ValidationError) as info:
        services.version_create_draft(
            actor=None, procedure=birth, unit=tree["ward_a"], limit_unit="working_days",
            limit_hours=Decimal(8), steps=bad,
        )  # fmt: skip
    errors = info.value.message_dict
    assert {"steps[1].code", "steps[1].role", "steps[1].where", "steps[4].parallel_group"} <= set(
        errors
    )


def test_limits(birth, tree):
    def make(**kw):
        return services.version_create_draft(
            actor=None, procedure=birth, unit=tree["ward_a"], steps=steps(1), **kw
        )

    calendar = make(limit_unit="calendar_days", calendar_days=10)
    # 10 calendar days always hold at least 6 weekdays: 48 working hours to share out.
    assert (calendar.calendar_days, calendar.limit_hours) == (10, 48)
    assert make(limit_unit="calendar_days", calendar_days=10, limit_hours=32).limit_hours == 32
    for kwargs in (
        {"limit_unit": "months", "limit_hours": 8},
        {"limit_unit": "working_days"},
        {"limit_unit": "working_days", "limit_hours": 8, "calendar_days": 3},
        {"limit_unit": "calendar_days"},
        {"limit_unit": "calendar_days", "calendar_days": 2, "limit_hours": 17},
    ):
        with pytest.raises(ValidationError):
            make(**kwargs)
    # Switching a calendar limit's days moves the default working time with it.
    longer = services.version_edit(actor=None, version=calendar, calendar_days=20)
    assert longer.limit_hours == 112


def test_permissions(draft, users, tree, birth):
    with pytest.raises(PermissionDenied):
        services.version_activate(actor=users["desk_a"], version=draft)
    with pytest.raises(PermissionDenied):
        services.version_edit(actor=users["leader_b"], version=draft, notes="x")
    with pytest.raises(PermissionDenied):
        services.version_create_draft(
            actor=users["quality_a"], procedure=birth, unit=tree["ward_b"],
            limit_unit="working_days", limit_hours=Decimal(8),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):  # the national catalogue needs a global scope
        services.procedure_upsert(actor=users["admin"], code="9.9", name="x")
    services.version_activate(actor=users["quality_a"], version=draft)
    services.version_retire(actor=users["admin"], version=draft, reason="test")
    draft.refresh_from_db()
    assert draft.status == Status.RETIRED


def test_procedure_upsert_outcomes(db):
    kwargs = {"code": "9.000001", "name": "Thủ tục thử", "limit_value": Decimal(5)}
    assert services.procedure_upsert(actor=None, **kwargs)[1] == "created"
    assert services.procedure_upsert(actor=None, **kwargs)[1] == "unchanged"
    assert services.procedure_upsert(actor=None, **{**kwargs, "sector": "Hộ tịch"})[1] == "updated"
    entry = AuditEntry.objects.filter(object_type="procedures.procedure").last()
    assert entry.changes == {"sector": ["", "Hộ tịch"]}


def test_version_for_takes_the_nearest_ancestor(tree, birth, draft):
    assert selectors.version_for(procedure=birth, unit=tree["div_a"]) is None
    city = services.version_create_draft(
        actor=None, procedure=birth, unit=tree["hanoi"], limit_unit="working_days",
        limit_hours=Decimal(8), steps=steps(1, 4, 2, 1),
    )  # fmt: skip
    services.version_activate(actor=None, version=city)
    assert selectors.version_for(procedure=birth, unit=tree["div_a"]) == city
    assert selectors.version_for(procedure=birth, unit=tree["ward_b"]) == city
    services.version_activate(actor=None, version=draft)
    assert selectors.version_for(procedure=birth, unit=tree["div_a"]) == draft
    assert selectors.version_for(procedure=birth, unit=tree["ward_a"]) == draft
    assert selectors.version_for(procedure=birth, unit=tree["ward_b"]) == city


def test_version_list_is_scoped(tree, users, draft):
    assert list(selectors.version_list(user=users["desk_a"])) == [draft]
    assert list(selectors.version_list(user=users["overseer"])) == [draft]
    assert list(selectors.version_list(user=users["desk_b"])) == []
    assert list(selectors.version_list(user=users["nobody"])) == []
    assert list(selectors.procedure_list(search="khai sinh")) == [draft.procedure]
    assert list(selectors.procedure_list(search="1.001193", sector="Hộ tịch")) == [draft.procedure]
    assert list(selectors.procedure_list(sector="Đất đai")) == []


def test_a_started_dossier_keeps_its_version(draft, tree):
    """Dossiers point at the version they started on; edits go into a new version."""
    from govqms.dossiers.services import dossier_open

    active = services.version_activate(actor=None, version=draft)
    dossier = dossier_open(
        actor=None, version=active, receiving_unit=tree["ward_a"], channel="counter"
    )
    new = services.version_edit(actor=None, version=active, steps=steps(1, 5, 1, 1))
    services.version_activate(actor=None, version=new)
    dossier.refresh_from_db()
    assert dossier.version_id == active.pk
