"""Staff pages of the shell. Thin: parse, call one selector, render (full page or htmx partial)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from govqms.accounts.selectors import my_roles
from govqms.core.selectors import audit_entry_list
from govqms.org.selectors import unit_ancestors, unit_get, unit_list


@login_required
def home(request):
    return render(request, "web/home.html", {"roles": my_roles(user=request.user)})


@login_required
def org_tree(request):
    """Top of the user's visible tree; children load on demand with htmx."""
    units = list(unit_list(user=request.user))
    visible = {unit.pk for unit in units}
    roots = [unit for unit in units if unit.parent_id not in visible]
    return render(request, "web/org_tree.html", {"roots": roots[:200]})


@login_required
def org_children(request, code: str):
    unit = unit_get(user=request.user, code=code)
    children = unit_list(user=request.user, parent=unit)
    return render(request, "web/_org_children.html", {"unit": unit, "children": children})


@login_required
def org_unit(request, code: str):
    unit = unit_get(user=request.user, code=code)
    context = {
        "unit": unit,
        "ancestors": unit_ancestors(unit),
        "children": unit_list(user=request.user, parent=unit),
    }
    return render(request, "web/org_unit.html", context)


@login_required
def audit_log(request):
    page = Paginator(audit_entry_list(user=request.user), 50).get_page(request.GET.get("page"))
    template = "web/_audit_rows.html" if request.htmx else "web/audit_log.html"
    return render(request, template, {"page": page})
