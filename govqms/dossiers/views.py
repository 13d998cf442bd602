"""Dossier screens: desk reception, the worklist, the dossier page with its lifecycle actions,
and the slips (PDF). Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from govqms.core.scoping import scope_for

from . import selectors, services, slips, workflows
from .forms import ACTION_LABELS, EventForm, ReceptionForm
from .models import Dossier, EventKind, Status

LIST_PAGE_SIZE = 50


# --- Reception --------------------------------------------------------------------------------


def _reception_units(request):
    units = selectors.reception_units(user=request.user)
    if not units:
        raise PermissionDenied(_("Bạn không có quyền tiếp nhận hồ sơ."))
    return units


def _chosen_unit(request, units):
    code = request.POST.get("receiving_unit") or request.GET.get("don_vi")
    return next((u for u in units if u.code == code), units[0])


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reception(request):
    units = _reception_units(request)
    unit = _chosen_unit(request, units)
    versions = selectors.governing_versions(unit=unit)
    form = ReceptionForm(
        request.POST or None,
        versions=versions,
        units=units,
        initial={"receiving_unit": unit.code},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = next(v for v in versions if v.procedure.code == data["procedure"])
        try:
            dossier = services.dossier_open(
                actor=request.user,
                version=version,
                receiving_unit=unit,
                competent_unit=selectors.authority_of(unit),
                channel=data["channel"],
                applicant=services.ApplicantData(
                    name=data["applicant_name"],
                    phone=data["applicant_phone"],
                    email=data["applicant_email"],
                    id_number=data["applicant_id_number"],
                ),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã tiếp nhận hồ sơ %(code)s. Hãy in giấy tiếp nhận và hẹn trả kết quả.")
                % {"code": dossier.code},
            )
            return redirect(f"{dossier_url(dossier.code)}?moi=1")
    status = 200
    if request.method == "POST":
        status = 400
        first_invalid = next((name for name in form.fields if name in form.errors), None)
        if first_invalid:
            form.fields[first_invalid].widget.attrs["autofocus"] = True
    return render(
        request,
        "dossiers/reception.html",
        {"form": form, "unit": unit, "units": units, "version_count": len(versions)},
        status=status,
    )


@login_required
def reception_procedures(request):
    """htmx: the <option>s of the procedure select, filtered by the search box."""
    units = _reception_units(request)
    unit = _chosen_unit(request, units)
    versions = selectors.governing_versions(unit=unit, q=request.GET.get("q", "")[:100])
    return render(
        request,
        "dossiers/_procedure_options.html",
        {"versions": versions, "selected": request.GET.get("procedure", "")},
    )


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def dossier_url(code: str) -> str:
    return reverse("dossiers:detail", args=[code])


# --- Lists ------------------------------------------------------------------------------------


def _require_view(request):
    if scope_for(request.user, selectors.PERM_VIEW).empty:
        raise PermissionDenied(_("Bạn không có quyền xem hồ sơ."))


@login_required
def worklist(request):
    _require_view(request)
    mine = request.GET.get("cua_toi") == "1"
    items = selectors.worklist(user=request.user, mine=mine)
    counts = {key: 0 for key in selectors.URGENCY}
    for item in items:
        counts[item.timeliness] = counts.get(item.timeliness, 0) + 1
    context = {
        "items": items,
        "mine": mine,
        "counts": counts,
        "limit": selectors.WORKLIST_LIMIT,
        "now": timezone.now(),
    }
    return render(request, "dossiers/worklist.html", context)


@login_required
def dossier_list(request):
    _require_view(request)
    q = request.GET.get("q", "").strip()[:60]
    status = request.GET.get("trang_thai", "")
    if status not in Status.values:
        status = ""
    qs = selectors.dossier_list(user=request.user, q=q, status=status)
    page = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"dossier": d, "applicant": selectors.masked_applicant(d)} for d in page]
    context = {"page": page, "rows": rows, "q": q, "status": status, "statuses": Status.choices}
    return render(request, "dossiers/list.html", context)


# --- The dossier page ------------------------------------------------------------------------


def _can(user, kind: str, dossier: Dossier) -> bool:
    perm = services.KIND_PERMISSION.get(kind, services.DEFAULT_PERMISSION)
    return scope_for(user, perm).covers(dossier.competent_unit.path)


def _allowed_kinds(user, dossier: Dossier, state: workflows.State, now: dt.datetime):
    """Event kinds the lifecycle allows now, that this user may record, in display order."""
    allowed = workflows.ALLOWED.get(state.status, frozenset())
    kinds = []
    for kind in ACTION_LABELS:
        if kind not in allowed or not _can(user, kind, dossier):
            continue
        if (
            kind == EventKind.SUPPLEMENT_REQUESTED
            and state.supplement_requests >= workflows.MAX_SUPPLEMENT_REQUESTS
        ):
            continue
        if kind == EventKind.REAPPOINTED and (
            state.reappointed or state.due_at is None or now >= state.due_at
        ):
            continue
        kinds.append(kind)
    return kinds


def _step_choices(kind: str, dossier: Dossier, state: workflows.State, steps):
    names = {s.code: s.name for s in steps}
    if kind == EventKind.STEP_FINISHED:
        open_codes = [s.step for s in state.steps if s.finished_at is None]
        return [(c, names.get(c, c)) for c in open_codes] or [(s.code, s.name) for s in steps]
    if kind == EventKind.STEP_STARTED:
        running = {s.step for s in state.steps if s.finished_at is None}
        return [(s.code, f"{s.order}. {s.name}") for s in steps if s.code not in running]
    return []


def _action_forms(user, dossier, state, steps, now, *, bound: EventForm | None = None):
    forms = []
    for kind in _allowed_kinds(user, dossier, state, now):
        if bound is not None and bound.kind_value == kind:
            forms.append(bound)
            continue
        choices = _step_choices(kind, dossier, state, steps)
        if kind == EventKind.STEP_STARTED and not choices:
            continue
        initial = {}
        if kind == EventKind.STEP_FINISHED and state.current_step:
            initial["step"] = state.current_step
        forms.append(EventForm(kind=kind, steps=choices, initial=initial))
    return forms


def _events(dossier: Dossier, steps) -> list:
    names = {s.code: s.name for s in steps}
    events = list(selectors.dossier_events(dossier))
    for event in events:
        event.step_name = names.get(event.step, event.step)
        raw = (event.data or {}).get("new_due_at") if event.kind == EventKind.REAPPOINTED else None
        try:
            event.new_due_at = dt.datetime.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):
            event.new_due_at = None
    return events


def _page_context(request, dossier: Dossier, *, bound: EventForm | None = None) -> dict:
    state, rule, calendar = services.dossier_state(dossier)
    now = timezone.now()
    steps = list(dossier.version.steps.all())
    forms = _action_forms(request.user, dossier, state, steps, now, bound=bound)
    context = {
        "dossier": dossier,
        "state": state,
        "events": _events(dossier, steps),
        "step_rows": selectors.step_rows(dossier, steps=steps, calendar=calendar, now=now),
        "explanation": selectors.due_explanation(dossier, state, rule, calendar),
        "timeliness": selectors.timeliness_label(state, rule=rule, calendar=calendar, now=now),
        "pauses": selectors.pause_rows(state, calendar=calendar, now=now),
        "action_forms": forms,
        # A refused action no longer offered (e.g. a second supplement request): its errors.
        "bound_errors": (
            [e for errors in bound.errors.values() for e in errors]
            if bound is not None and bound not in forms
            else []
        ),
        "bound_label": bound.label if bound is not None else "",
        "slips": slips.available(dossier, state),
        "just_received": request.GET.get("moi") == "1",
        "receipt_available": slips.RECEIPT in slips.available(dossier, state),
        "documents": slips.document_lines(dossier.version.procedure),
        "reappoint_allowed": (
            not state.reappointed and state.due_at is not None and now < state.due_at
        ),
    }
    return context


@never_cache
@login_required
def dossier_detail(request, code: str):
    dossier = selectors.dossier_get(user=request.user, code=code, purpose=_("Xem hồ sơ"))
    return render(request, "dossiers/detail.html", _page_context(request, dossier))


@login_required
@require_POST
def dossier_event(request, code: str):
    """Record one lifecycle event from the dossier page; errors come back on the form."""
    dossier = selectors.dossier_find(user=request.user, code=code)
    state, _rule, calendar = services.dossier_state(dossier)
    kind = request.POST.get("kind", "")
    if kind not in ACTION_LABELS:
        raise Http404
    now = timezone.now()
    steps = list(dossier.version.steps.all())
    form = EventForm(request.POST, kind=kind, steps=_step_choices(kind, dossier, state, steps))
    if form.is_valid():
        data = {}
        new_date = form.cleaned_data.get("new_due_date")
        if kind == EventKind.REAPPOINTED and new_date:
            data["new_due_at"] = calendar.close_of_day(new_date).isoformat()
            if not calendar.is_working_day(new_date):
                form.add_error("new_due_date", _("Ngày hẹn mới phải là ngày làm việc."))
        if form.is_valid():
            try:
                services.dossier_event_record(
                    actor=request.user,
                    dossier=dossier,
                    kind=kind,
                    occurred_at=now,
                    step=form.cleaned_data.get("step") or "",
                    reason=form.cleaned_data.get("reason", "").strip(),
                    data=data,
                )
            except workflows.TransitionError as exc:
                field = {"new_due_at": "new_due_date", "occurred_at": None}.get(
                    exc.field, exc.field
                )
                form.add_error(
                    field if field in form.fields and field != "kind" else None,
                    services.transition_message(exc, labels=True),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Đã ghi nhận: %(action)s.") % {"action": ACTION_LABELS[kind]},
                )
                return redirect(dossier_url(dossier.code) + "#tien-trinh")
    dossier = selectors.dossier_get(user=request.user, code=code, purpose=_("Xem hồ sơ"))
    context = _page_context(request, dossier, bound=form)
    return render(request, "dossiers/detail.html", context, status=400)


# --- Slips ------------------------------------------------------------------------------------


@never_cache
@login_required
def slip(request, code: str, kind: str):
    if kind not in slips.SLIPS:
        raise Http404
    dossier = selectors.dossier_find(user=request.user, code=code)
    state, _rule, _calendar = services.dossier_state(dossier)
    if kind not in slips.available(dossier, state):
        raise Http404(_("Hồ sơ này chưa có phiếu này."))
    dossier = selectors.dossier_get(
        user=request.user, code=code, purpose=_("In %(slip)s") % {"slip": slips.SLIPS[kind].title}
    )
    pdf = slips.render_pdf(kind, dossier, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slips.filename(kind, dossier)}"'
    return response
