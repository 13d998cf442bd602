"""Public pages: no login, no personal data.

* /tra-cuu/ — a dossier's status by its code (not cached, not indexed, throttled per client:
  `portal.throttle`);
* /cong-khai/ — the transparency portal: per-unit and per-procedure scoreboards and monthly
  trends, counts below `GOVQMS_PUBLIC_MIN_COUNT` suppressed (`portal.figures`), a plain-language
  explanation of each indicator. These pages hold no per-user content and are cacheable
  (Cache-Control: public, max-age=300).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from govqms.kpi import charts, indicators

from . import figures, throttle
from .explanations import DIRECTION, PLAIN

MAX_CODE = 60
PUBLIC_MAX_AGE = 300
TREND_MONTHS = 12


@never_cache
@require_GET
def lookup(request):
    """/tra-cuu/?ma=<code>: a dossier's status and expected return date, in plain Vietnamese.
    The QR code on every slip points here. Over the throttle's limit: 429, the form and when to
    try again."""
    code = " ".join(request.GET.get("ma", "").split())[:MAX_CODE]
    result, refusal = throttle.throttled_lookup(request, code) if code else (None, None)
    if refusal is not None:
        status = 429
    else:
        status = 200 if result or not code else 404
    response = render(
        request,
        "portal/lookup.html",
        {
            "code": code,
            "result": result,
            "searched": bool(code) and refusal is None,
            "refused": throttle.refusal_message(refusal) if refusal else "",
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    if refusal is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@csrf_exempt  # the public pages carry no CSRF cookie, so that shared caches can keep them
@require_POST
def language(request):
    """The language switch of the public pages (a cookie; nothing else changes)."""
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    code = request.POST.get("language", "")
    if code and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


def public_page(view):
    """GET only; Cache-Control: public, max-age=300; varies on the language cookie."""

    @functools.wraps(view)
    @require_GET
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
            patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


# --- Helpers ------------------------------------------------------------------------------------


def _root(code: str | None = None):
    roots = figures.public_roots()
    if not roots:
        raise Http404(_("Chưa có đơn vị nào."))
    if code is None:
        return roots[0]
    found = next((r for r in roots if r.code == code), None)
    if found is None:
        raise Http404(_("Không tìm thấy đơn vị %(code)s.") % {"code": code})
    return found


def _month(request, months: list[dt.date]) -> dt.date:
    """?thang=YYYY-MM among the available months (default: the latest)."""
    value = request.GET.get("thang", "")
    if value:
        try:
            chosen = dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise Http404(_("Tháng không hợp lệ.")) from None
        if chosen not in months:
            raise Http404(_("Không có số liệu cho tháng này."))
        return chosen
    return months[-1]


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def _trend(tables: dict[dt.date, figures.MonthTable], pick, chart_prefix: str, name: str):
    """The monthly volumes and on-time share of one row (`pick(table)` → Row or None)."""
    months = sorted(tables)
    labels = [tables[m].label for m in months]
    rows = [pick(tables[m]) for m in months]

    def value(row, column):
        return row.value(column) if row is not None else None

    def text(row, column):
        return row.text(column) if row is not None else "—"

    volume_columns = ("received", "finished")
    volume = charts.bar_chart(
        chart_id=f"{chart_prefix}-volume",
        title=_("Hồ sơ tiếp nhận và đã giải quyết theo tháng — %(name)s") % {"name": name},
        description=_("Số hồ sơ theo tháng; ô bị ẩn (“x”) không được vẽ."),
        labels=labels,
        series=[
            charts.Series(str(figures.LABELS[c]), [value(r, c) for r in rows], i)
            for i, c in enumerate(volume_columns)
        ],
        unit=_("hồ sơ"),
        label_header=_("Tháng"),
        cell=lambda i, j: text(rows[i], volume_columns[j]),
    )
    share_columns = ("share_on_time", "share_online")
    shares = charts.line_chart(
        chart_id=f"{chart_prefix}-shares",
        title=_("Tỷ lệ đúng hạn và tỷ lệ nộp trực tuyến theo tháng — %(name)s") % {"name": name},
        description=_(
            "Phần trăm theo tháng; tháng có số nhỏ không được công bố để lại khoảng trống."
        ),
        labels=labels,
        series=[
            charts.Series(str(figures.LABELS[c]), [value(r, c) for r in rows], i)
            for i, c in enumerate(share_columns)
        ],
        unit="%",
        y_min=0,
        y_max=100,
        label_header=_("Tháng"),
        cell=lambda i, j: text(rows[i], share_columns[j]),
    )
    return [volume, shares]


def _context(**extra):
    return {
        "min_count": figures.min_count(),
        "columns": [(c, figures.LABELS[c]) for c in figures.COLUMNS],
        **extra,
    }


# --- Pages --------------------------------------------------------------------------------------


@public_page
def transparency_index(request):
    """/cong-khai/: the province's scoreboard (or the list of provinces when there are more)."""
    roots = figures.public_roots()
    if len(roots) > 1:
        return render(request, "portal/roots.html", _context(roots=roots))
    return unit_page(request, code=_root().code)


@public_page
def unit_page(request, code: str):
    """/cong-khai/don-vi/<code>/: a province (its units' scoreboard) or one of its units."""
    roots = figures.public_roots()
    root = next((r for r in roots if r.code == code), None)
    if root is None:
        for candidate in roots:
            if any(u.code == code for u in figures.public_units(candidate)):
                root = candidate
                break
    if root is None:
        raise Http404(_("Không tìm thấy đơn vị %(code)s.") % {"code": code})
    months = figures.available_months()
    month = _month(request, months)
    window = [m for m in months if m <= month][-TREND_MONTHS:]
    tables = figures.month_tables(root, window)
    table = tables[month]
    row = table.unit_row(code)
    if row is None:  # pragma: no cover - the unit was found among the root's children above
        raise Http404
    context = _context(
        root=root,
        table=table,
        row=row,
        is_root=code == root.code,
        months=months,
        month=month,
        charts=_trend(tables, lambda t: t.unit_row(code), "unit", row.name),
    )
    return render(request, "portal/unit.html", context)


@public_page
def procedures_page(request):
    """/cong-khai/thu-tuc/: the procedures' scoreboard for a month (province-wide)."""
    root = _root(request.GET.get("tinh") or None)
    months = figures.available_months()
    month = _month(request, months)
    table = figures.month_tables(root, [month])[month]
    return render(
        request,
        "portal/procedures.html",
        _context(root=root, table=table, months=months, month=month),
    )


@public_page
def procedure_page(request, code: str):
    """/cong-khai/thu-tuc/<code>/: one procedure's figures and monthly trend."""
    root = _root(request.GET.get("tinh") or None)
    months = figures.available_months()
    month = _month(request, months)
    window = [m for m in months if m <= month][-TREND_MONTHS:]
    tables = figures.month_tables(root, window)
    rows = [t.procedure_row(code) for t in tables.values()]
    named = next((r for r in rows if r is not None), None)
    if named is None:
        raise Http404(_("Không có số liệu công khai cho thủ tục %(code)s.") % {"code": code})
    context = _context(
        root=root,
        table=tables[month],
        row=tables[month].procedure_row(code),
        name=named.name,
        code=code,
        months=months,
        month=month,
        charts=_trend(tables, lambda t: t.procedure_row(code), "proc", code),
    )
    return render(request, "portal/procedure.html", context)


@public_page
def indicators_page(request):
    """/cong-khai/chi-so/: what each indicator means, in plain words, with its source."""
    published = set(figures.INDICATOR_OF.values())
    items = []
    for code, indicator in indicators.REGISTRY.items():
        items.append(
            {
                "code": code,
                "name": indicator.name_en if _english() else indicator.name_vi,
                "plain": PLAIN.get(code, ""),
                "direction": DIRECTION.get(str(indicator.direction), ""),
                "source": indicator.source,
                "published": code in published,
            }
        )
    return render(request, "portal/indicators.html", _context(items=items))
