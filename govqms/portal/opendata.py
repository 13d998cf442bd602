"""Open data (/open-data/): the public figures of the transparency portal as CSV and JSON per
month, a DCAT catalogue in JSON-LD, and the licence. The same tables as the portal
(`portal.figures`): the same cells are suppressed, so files and pages never disagree.
docs/open-data.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govqms.kpi import indicators

from . import figures
from .views import public_page

DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
KNOWN_LICENSES = {
    "https://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 (CC BY 4.0)",
    "https://creativecommons.org/publicdomain/zero/1.0/": "Creative Commons CC0 1.0",
    "https://opendatacommons.org/licenses/by/1-0/": "Open Data Commons Attribution (ODC-By) 1.0",
}
MEDIA = {
    "csv": ("text/csv; charset=utf-8", "https://www.iana.org/assignments/media-types/text/csv"),
    "json": (
        "application/json",
        "https://www.iana.org/assignments/media-types/application/json",
    ),
}
JSONLD = "application/ld+json"


def license_url() -> str:
    return getattr(settings, "GOVQMS_OPEN_DATA_LICENSE", "") or DEFAULT_LICENSE


def license_name() -> str:
    return KNOWN_LICENSES.get(license_url(), license_url())


# --- Rows ---------------------------------------------------------------------------------------


def _round(value):
    return round(value, 2) if isinstance(value, float) else value


def _row(table: figures.MonthTable, row: figures.Row, *, procedure: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"month": table.slug, "row_type": row.kind}
    if procedure:
        data["province_code"] = table.root.code
        data["procedure_code"] = "" if row.kind == "total" else row.code
        data["procedure_name"] = _("Tất cả thủ tục") if row.kind == "total" else row.name
    else:
        data["province_code"] = table.root.code
        data["unit_code"] = "" if row.kind == "other" else row.code
        data["unit_name"] = row.name
    for column in figures.COLUMNS:
        data[column] = _round(row.value(column))
    data["suppressed"] = row.suppressed()
    return data


def unit_rows(tables: list[figures.MonthTable]) -> list[dict[str, Any]]:
    return [_row(t, r, procedure=False) for t in tables for r in t.rows()]


def procedure_rows(tables: list[figures.MonthTable]) -> list[dict[str, Any]]:
    return [_row(t, r, procedure=True) for t in tables for r in [t.total, *t.procedures]]


def _columns(procedure: bool) -> list[dict[str, str]]:
    keys = (
        ["month", "row_type", "province_code"]
        + (["procedure_code", "procedure_name"] if procedure else ["unit_code", "unit_name"])
        + list(figures.COLUMNS)
        + ["suppressed"]
    )
    titles = {
        "month": (_("Tháng (YYYY-MM)"), "Month (YYYY-MM)"),
        "row_type": (
            _("Loại dòng: total, unit, other, procedure"),
            "Row type: total, unit, other, procedure",
        ),
        "province_code": (_("Mã tỉnh, thành phố"), "Province code"),
        "unit_code": (_("Mã đơn vị"), "Unit code"),
        "unit_name": (_("Tên đơn vị"), "Unit name"),
        "procedure_code": (_("Mã thủ tục"), "Procedure code"),
        "procedure_name": (_("Tên thủ tục"), "Procedure name"),
        "suppressed": (
            _(
                "Ô bị ẩn: hidden = số hồ sơ bị ẩn (dưới ngưỡng, hoặc ẩn để không suy ra được một "
                "số như vậy từ các ô khác), derived = tỷ lệ hoặc trung bình tính từ ô bị ẩn hoặc "
                "từ dưới ngưỡng hồ sơ"
            ),
            "Suppressed cells: hidden = a count hidden (below the threshold, or hidden so that "
            "such a count cannot be worked out from the other cells), derived = a share or mean "
            "computed from a hidden cell or from fewer dossiers than the threshold",
        ),
    }
    out = []
    for key in keys:
        if key in figures.LABELS:
            vi = str(figures.LABELS[key])
            with translation.override("en"):
                en = str(figures.LABELS[key])
        else:
            vi, en = titles[key]
        out.append({"name": key, "title_vi": str(vi), "title_en": en})
    return out


def to_csv(rows: list[dict[str, Any]], procedure: bool) -> bytes:
    """RFC 4180, UTF-8 without BOM, one header row of stable machine names; a hidden cell is
    empty and named in `suppressed` (`column:reason;…`, reason `hidden` for every count and
    `derived` for a share or mean)."""
    names = [c["name"] for c in _columns(procedure)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(
            [
                ";".join(f"{k}:{v}" for k, v in row[n].items())
                if n == "suppressed"
                else ("" if row[n] is None else row[n])
                for n in names
            ]
        )
    return buffer.getvalue().encode("utf-8")


def to_json(rows: list[dict[str, Any]], procedure: bool, *, month: dt.date, title: str) -> bytes:
    current = figures.month_start(timezone.localdate())
    body = {
        "title": title,
        "month": f"{month:%Y-%m}",
        "period": {"start": month.isoformat(), "end": figures.month_end(month).isoformat()},
        "provisional": month >= current,
        "generated_at": timezone.now().replace(microsecond=0).isoformat(),
        "license": license_url(),
        "min_count": figures.min_count(),
        "suppression": _(
            "Số từ 1 đến %(k)s được ẩn (null); một số ô khác (kể cả số 0) được ẩn để không suy "
            "ra được ô nhỏ từ tổng; tỷ lệ và trung bình tính từ ô bị ẩn hoặc từ dưới %(n)s hồ "
            "sơ cũng được ẩn."
        )
        % {"k": figures.min_count() - 1, "n": figures.min_count()},
        "columns": _columns(procedure),
        "rows": rows,
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


# --- Views ----------------------------------------------------------------------------------------


def _months_or_404(month: str) -> dt.date:
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise Http404(_("Tháng không hợp lệ.")) from None
    if first not in figures.available_months():
        raise Http404(_("Không có số liệu cho tháng này."))
    return first


def _tables(first: dt.date) -> list[figures.MonthTable]:
    return [figures.month_tables(root, [first])[first] for root in figures.public_roots()]


def _file(body: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=MEDIA[fmt][0])
    response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"
    response["Link"] = f'<{license_url()}>; rel="license"'
    return response


def _render(rows, fmt: str, first: dt.date, title: str, name: str, procedure: bool):
    if fmt == "csv":
        return _file(to_csv(rows, procedure), fmt, name)
    return _file(to_json(rows, procedure, month=first, title=title), fmt, name)


@public_page
def units_file(request, month: str, fmt: str):
    first = _months_or_404(month)
    rows = unit_rows(_tables(first))
    title = _("Chỉ số giải quyết thủ tục hành chính theo đơn vị, tháng %(month)s") % {
        "month": f"{first:%m/%Y}"
    }
    return _render(rows, fmt, first, title, f"indicators-{month}", False)


@public_page
def unit_file(request, code: str, month: str, fmt: str):
    first = _months_or_404(month)
    for table in _tables(first):
        row = table.unit_row(code)
        if row is not None:
            title = _("Chỉ số giải quyết thủ tục hành chính của %(unit)s, tháng %(month)s") % {
                "unit": row.name,
                "month": f"{first:%m/%Y}",
            }
            rows = [_row(table, row, procedure=False)]
            return _render(rows, fmt, first, title, f"indicators-{code}-{month}", False)
    raise Http404(_("Không tìm thấy đơn vị %(code)s.") % {"code": code})


@public_page
def procedures_file(request, month: str, fmt: str):
    first = _months_or_404(month)
    rows = procedure_rows(_tables(first))
    title = _("Chỉ số giải quyết theo thủ tục hành chính, tháng %(month)s") % {
        "month": f"{first:%m/%Y}"
    }
    return _render(rows, fmt, first, title, f"procedures-{month}", True)


def _date(value: dt.date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _text(value: str) -> dict[str, str]:
    return {"@value": value, "@language": "vi"}


def catalog_document(request) -> dict[str, Any]:
    """The DCAT catalogue (JSON-LD): one dataset per month for every unit, one per month for the
    procedures, one per unit and month with activity; each with a CSV and a JSON distribution."""
    roots = figures.public_roots()
    months = figures.available_months()
    today = timezone.localdate()
    publisher = {
        "@type": "foaf:Agent",
        "foaf:name": ", ".join(r.name for r in roots) or "GovQMS",
    }
    licence = {"@id": license_url()}
    home = request.build_absolute_uri(reverse("opendata:index"))

    def dataset(ident, title, description, first, urls, keywords):
        end = figures.month_end(first)
        issued = min(end + dt.timedelta(days=1), today)
        return {
            "@id": f"{home}#{ident}",
            "@type": "dcat:Dataset",
            "dct:identifier": ident,
            "dct:title": _text(title),
            "dct:description": _text(description),
            "dct:publisher": publisher,
            "dct:license": licence,
            "dct:issued": _date(issued),
            "dct:modified": _date(today),
            "dct:language": {"@id": "http://id.loc.gov/vocabulary/iso639-1/vi"},
            "dcat:keyword": [_text(k) for k in keywords],
            "dct:temporal": {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": _date(first),
                "dcat:endDate": _date(end),
            },
            "dcat:landingPage": {"@id": request.build_absolute_uri(reverse("public:index"))},
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dct:title": _text(f"{title} ({fmt.upper()})"),
                    "dcat:downloadURL": {"@id": url},
                    "dcat:accessURL": {"@id": url},
                    "dcat:mediaType": {"@id": MEDIA[fmt][1]},
                    "dct:format": fmt.upper(),
                    "dct:license": licence,
                }
                for fmt, url in urls.items()
            ],
        }

    def urls(name, **kwargs):
        return {
            fmt: request.build_absolute_uri(
                reverse(f"opendata:{name}", kwargs={**kwargs, "fmt": fmt})
            )
            for fmt in ("csv", "json")
        }

    keywords = [_("thủ tục hành chính"), _("một cửa"), _("đúng hạn"), _("ISO 9001")]
    datasets = []
    for first in reversed(months):
        slug, label = f"{first:%Y-%m}", f"{first:%m/%Y}"
        datasets.append(
            dataset(
                f"indicators-{slug}",
                _("Chỉ số giải quyết thủ tục hành chính theo đơn vị, tháng %(month)s")
                % {"month": label},
                _(
                    "Số hồ sơ tiếp nhận, đã giải quyết, đúng hạn, quá hạn và các tỷ lệ của từng "
                    "đơn vị; số nhỏ được ẩn."
                ),
                first,
                urls("units", month=slug),
                keywords,
            )
        )
        datasets.append(
            dataset(
                f"procedures-{slug}",
                _("Chỉ số giải quyết theo thủ tục hành chính, tháng %(month)s") % {"month": label},
                _(
                    "Số hồ sơ và các tỷ lệ theo từng thủ tục hành chính trên toàn tỉnh; số nhỏ "
                    "được ẩn."
                ),
                first,
                urls("procedures", month=slug),
                keywords,
            )
        )
    for root in roots:
        tables = figures.month_tables(root, months)
        for first in reversed(months):
            table = tables[first]
            slug, label = f"{first:%Y-%m}", f"{first:%m/%Y}"
            for row in [table.total, *table.units]:
                if not row.active:  # the rows the page shows (a hidden zero counts as shown)
                    continue
                datasets.append(
                    dataset(
                        f"indicators-{row.code}-{slug}",
                        _("Chỉ số giải quyết thủ tục hành chính của %(unit)s, tháng %(month)s")
                        % {"unit": row.name, "month": label},
                        _("Các chỉ số công khai của một đơn vị trong một tháng; số nhỏ được ẩn."),
                        first,
                        urls("unit", code=row.code, month=slug),
                        keywords,
                    )
                )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": request.build_absolute_uri(reverse("opendata:catalog")),
        "@type": "dcat:Catalog",
        "dct:title": _text(_("Dữ liệu mở về giải quyết thủ tục hành chính")),
        "dct:description": _text(
            _(
                "Các chỉ số công khai của cổng minh bạch: số hồ sơ và tỷ lệ đúng hạn theo đơn vị, "
                "thủ tục và tháng. Không có dữ liệu cá nhân; số nhỏ hơn %(k)s được ẩn."
            )
            % {"k": figures.min_count()}
        ),
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:issued": _date(months[0]),
        "dct:modified": _date(today),
        "dct:language": {"@id": "http://id.loc.gov/vocabulary/iso639-1/vi"},
        "foaf:homepage": {"@id": home},
        "dcat:dataset": datasets,
    }


@public_page
def catalog(request):
    body = json.dumps(catalog_document(request), ensure_ascii=False, indent=1)
    response = HttpResponse(body.encode("utf-8"), content_type=f"{JSONLD}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public_page
def index(request):
    months = figures.available_months()
    files = [
        {
            "label": f"{m:%m/%Y}",
            "slug": f"{m:%Y-%m}",
        }
        for m in reversed(months)
    ]
    context = {
        "files": files,
        "license_url": license_url(),
        "license_name": license_name(),
        "min_count": figures.min_count(),
        "indicators": [indicators.REGISTRY[c] for c in figures.INDICATOR_OF.values()],
    }
    return render(request, "portal/opendata.html", context)


@public_page
def licence(request):
    context = {
        "license_url": license_url(),
        "license_name": license_name(),
        "is_default": license_url() == DEFAULT_LICENSE,
        "publisher": ", ".join(r.name for r in figures.public_roots()),
        "min_count": figures.min_count(),
    }
    return render(request, "portal/licence.html", context)
