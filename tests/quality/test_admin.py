"""The admin saves objectives through the services; measurements and signals are read-only."""

import datetime as dt

from django.contrib import admin
from django.test import RequestFactory

from govqms.core.models import AuditEntry
from govqms.quality.admin import ObjectiveForm
from govqms.quality.models import ObjectiveMeasurement, QualityObjective, SpcSignal


def _form(tree, users, **overrides):
    data = {
        "unit": tree["ward_a"].pk,
        "title": "Thời gian giải quyết trung bình không quá 1 ngày",
        "indicator": "AVG_PROCESSING_DAYS",
        "target": "1",
        "period": "quarter",
        "start": "2025-01-01",
        "owner": users["quality_a"].pk,
        "at_risk_margin": "0.5",
        "iso_clause": "6.2",
    }
    return ObjectiveForm(data={**data, **overrides})


def test_admin_creates_and_edits_through_the_services(tree, users):
    model_admin = admin.site._registry[QualityObjective]
    request = RequestFactory().post("/")
    request.user = users["admin"]
    form = _form(tree, users)
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)
    created = QualityObjective.objects.get(pk=obj.pk)
    assert (created.comparison, created.start) == ("lte", dt.date(2025, 1, 1))
    assert AuditEntry.objects.filter(
        object_type="quality.qualityobjective", action="create", actor=users["admin"]
    ).exists()

    form = ObjectiveForm(
        data={**_form(tree, users).data, "target": "2"}, instance=QualityObjective.objects.get()
    )
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    assert str(QualityObjective.objects.get().target) == "2.00"


def test_admin_form_refuses_a_neutral_indicator(tree, users):
    form = _form(tree, users, indicator="OPEN_WITHIN_LIMIT")
    assert not form.is_valid()
    assert "indicator" in form.errors


def test_derived_records_are_read_only():
    request = RequestFactory().get("/")
    for model in (ObjectiveMeasurement, SpcSignal):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_delete_permission(request)
    post = RequestFactory().post("/")
    post.user = None
    assert not admin.site._registry[SpcSignal].has_change_permission(post)
