"""Staff pages of the shell. Thin: parse, call one selector, render (full page or htmx partial)."""

from functools import lru_cache

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from govqms.accounts.selectors import my_roles
from govqms.core.models import AuditEntry
from govqms.core.scoping import scope_for
from govqms.core.selectors import audit_entry_list
from govqms.org.selectors import PERM_VIEW as ORG_VIEW
from govqms.org.selectors import unit_ancestors, unit_get, unit_list

MAX_ROOTS = 200
AUDIT_PAGE_SIZE = 50
SUMMARY_FIELDS = 4  # fields shown per audit entry; the rest are counted
SUMMARY_VALUE_CHARS = 60


def _with_child_counts(units):
    """Annotate `child_count` (current children) so the tree shows a toggle only when useful."""
    return units.annotate(child_count=Count("children", filter=Q(children__valid_to__isnull=True)))


@login_required
def home(request):
    return render(request, "web/home.html", {"roles": my_roles(user=request.user)})


@login_required
def org_tree(request):
    """Top of the user's visible tree; children load on demand with htmx."""
    pairs = list(unit_list(user=request.user).values_list("pk", "parent_id"))
    visible = {pk for pk, _parent in pairs}
    root_ids = [pk for pk, parent in pairs if parent not in visible]
    roots = _with_child_counts(unit_list(user=request.user).filter(pk__in=root_ids[:MAX_ROOTS]))
    context = {"roots": roots, "more_roots": max(len(root_ids) - MAX_ROOTS, 0)}
    return render(request, "web/org_tree.html", context)


@login_required
def org_children(request, code: str):
    unit = unit_get(user=request.user, code=code)
    if not request.htmx:  # a plain visit (no JavaScript) gets the unit's full page instead
        return redirect("web:org_unit", code=unit.code)
    children = _with_child_counts(unit_list(user=request.user, parent=unit))
    return render(request, "web/_org_children.html", {"unit": unit, "children": children})


@login_required
def org_unit(request, code: str):
    unit = unit_get(user=request.user, code=code)
    scope = scope_for(request.user, ORG_VIEW)
    context = {
        "unit": unit,
        # Ancestors outside the user's scope are named but not linked (their page would 404).
        "ancestors": [
            {"unit": ancestor, "linkable": scope.covers(ancestor.path)}
            for ancestor in unit_ancestors(unit)
        ],
        "children": unit_list(user=request.user, parent=unit),
    }
    return render(request, "web/org_unit.html", context)


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@lru_cache(maxsize=256)
def _object_type_label(object_type: str):
    """'org.orgunit' → the model's (lazy, translated) verbose name; unknown types stay as is."""
    model = _model(object_type)
    return model._meta.verbose_name if model else object_type


@lru_cache(maxsize=1024)
def _field_label(object_type: str, field: str):
    """A changed field's (lazy, translated) verbose name; unknown fields stay as is."""
    model = _model(object_type)
    try:
        return getattr(model._meta.get_field(field), "verbose_name", field) if model else field
    except FieldDoesNotExist:
        return field


def _short(value) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, bool):
        return str(_("có") if value else _("không"))
    text = value if isinstance(value, str) else str(value)
    if len(text) > SUMMARY_VALUE_CHARS:
        return text[: SUMMARY_VALUE_CHARS - 1] + "…"
    return text


def _changes_summary(entry: AuditEntry) -> dict:
    """{'lines': [(field label, text)], 'more': n} from an entry's `changes`: {field: [old, new]}
    for writes, {field: value} for a read of personal data (the fields read)."""
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    pairs = entry.action != AuditEntry.Action.READ
    lines = []
    for field, value in list(changes.items())[:SUMMARY_FIELDS]:
        if pairs and isinstance(value, list | tuple) and len(value) == 2:
            old, new = value
            text = _short(new) if old is None else f"{_short(old)} → {_short(new)}"
        elif isinstance(value, list | tuple):
            text = ", ".join(_short(item) for item in value)
        else:
            text = _short(value)
        lines.append((_field_label(entry.object_type, field) if field else "", text))
    return {"lines": lines, "more": max(len(changes) - SUMMARY_FIELDS, 0)}


@login_required
def audit_log(request):
    page = Paginator(audit_entry_list(user=request.user), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "entry": entry,
            "object_type_label": _object_type_label(entry.object_type),
            "summary": _changes_summary(entry),
        }
        for entry in page
    ]
    template = "web/_audit_rows.html" if request.htmx else "web/audit_log.html"
    return render(request, template, {"page": page, "rows": rows})
