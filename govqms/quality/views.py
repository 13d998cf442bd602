"""The quality officer's page: objectives with their status, open SPC signals with their
evidence, and the acknowledge / dismiss forms. Thin: parse, call a selector or a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govqms.core.scoping import scope_for

from . import selectors, services
from .forms import ReasonForm

ACTIONS = {
    "ghi-nhan": (services.signal_acknowledge, gettext_lazy("Đã ghi nhận tín hiệu.")),
    "bo-qua": (services.signal_dismiss, gettext_lazy("Đã bỏ qua tín hiệu.")),
}


@login_required
def index(request):
    if scope_for(request.user, selectors.PERM_VIEW).empty:
        raise PermissionDenied(_("Bạn không có quyền xem hệ thống quản lý chất lượng."))
    manage = scope_for(request.user, selectors.PERM_MANAGE)
    signals = [
        {
            "signal": signal,
            "summary": selectors.signal_summary(signal),
            "can_manage": manage.covers(signal.unit.path),
            "form": ReasonForm(auto_id=f"id_s{signal.pk}_%s"),
        }
        for signal in selectors.signal_list(user=request.user)
    ]
    context = {"objectives": selectors.objective_rows(user=request.user), "signals": signals}
    return render(request, "quality/index.html", context)


@login_required
@require_POST
def signal_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    signal = selectors.signal_get(user=request.user, pk=pk)  # 404 outside what one may see
    service, done = ACTIONS[action]
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        service(actor=request.user, signal=signal, reason=reason)  # 403 without quality.manage
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(done))
    return redirect("quality:index")
