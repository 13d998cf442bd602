"""The slips handed to the applicant, rendered to A4 PDF with WeasyPrint.

Layouts follow the forms of the one-stop mechanism (Decree 61/2018/NĐ-CP's Circular 01/2018/
TT-VPCP annex, carried over by Decree 118/2025/NĐ-CP — see docs/dossiers.md for what is and is
not certain): receipt & appointment slip, supplement guidance slip, refusal slip, apology &
re-appointment slip. Each carries a QR code to the public lookup page of the dossier. No network:
the QR code is an inline SVG, fonts are the system's (Noto Serif where installed, else DejaVu
Serif: both have every Vietnamese glyph).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from io import BytesIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_ancestors

from . import services, workflows
from .models import Channel, Dossier, EventKind, Status

RECEIPT, SUPPLEMENT, REFUSAL, APOLOGY = "tiep-nhan", "bo-sung", "tu-choi", "xin-loi"

#: Units whose official name is "Ủy ban nhân dân <name>" on a letterhead.
PEOPLES_COMMITTEE_KINDS = frozenset(
    {
        OrgUnit.Kind.PROVINCE,
        OrgUnit.Kind.WARD,
        OrgUnit.Kind.COMMUNE,
        OrgUnit.Kind.SPECIAL_ZONE,
        OrgUnit.Kind.DISTRICT,
        OrgUnit.Kind.TOWNSHIP,
    }
)


@dataclass(frozen=True)
class Slip:
    code: str
    title: str  # lower-case title used in sentences and the audit purpose
    heading: str  # the upper-case heading printed on the slip
    template: str
    event_kind: str


SLIPS: dict[str, Slip] = {
    RECEIPT: Slip(
        RECEIPT,
        _("giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        _("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "dossiers/slips/receipt.html",
        EventKind.RECEIVED,
    ),
    SUPPLEMENT: Slip(
        SUPPLEMENT,
        _("phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        _("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "dossiers/slips/supplement.html",
        EventKind.SUPPLEMENT_REQUESTED,
    ),
    REFUSAL: Slip(
        REFUSAL,
        _("phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        _("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        "dossiers/slips/refusal.html",
        EventKind.REFUSED,
    ),
    APOLOGY: Slip(
        APOLOGY,
        _("phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        _("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
        "dossiers/slips/apology.html",
        EventKind.REAPPOINTED,
    ),
}


def available(dossier: Dossier, state: workflows.State) -> dict[str, Slip]:
    """The slips this dossier has, in the order they are issued."""
    result = {}
    if state.received_at is not None:
        result[RECEIPT] = SLIPS[RECEIPT]
    if state.supplement_requests:
        result[SUPPLEMENT] = SLIPS[SUPPLEMENT]
    if state.status == Status.REFUSED:
        result[REFUSAL] = SLIPS[REFUSAL]
    if state.reappointed:
        result[APOLOGY] = SLIPS[APOLOGY]
    return result


def filename(kind: str, dossier: Dossier) -> str:
    return f"{kind}-{dossier.code}.pdf"


# --- Content ----------------------------------------------------------------------------------


def document_lines(procedure) -> list[dict]:
    """The procedure's dossier components as [{name, copies}], whatever shape the catalogue
    stored them in (strings, or objects with a name/title and a number of copies)."""
    lines = []
    for item in procedure.documents or []:
        if isinstance(item, str):
            name, copies = item, ""
        elif isinstance(item, dict):
            name = item.get("name") or item.get("title") or item.get("ten") or ""
            copies = item.get("copies") or item.get("quantity") or item.get("so_luong") or ""
        else:
            continue
        name = " ".join(str(name).split())
        if name:
            lines.append({"name": name, "copies": str(copies)})
    return lines


def official_name(unit: OrgUnit) -> str:
    if unit.kind in PEOPLES_COMMITTEE_KINDS:
        return f"Ủy ban nhân dân {unit.name}"
    return unit.name


def place_name(unit: OrgUnit) -> str:
    """'Hà Nội' for any unit of Thành phố Hà Nội: the place written before the date."""
    ancestors = unit_ancestors(unit)
    root = ancestors[0] if ancestors else unit
    name = root.name
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def public_url(request, dossier: Dossier) -> str:
    """Absolute URL of the public lookup (and, later, rating) page of this dossier."""
    path = reverse("portal:lookup") + "?" + urlencode({"ma": dossier.code})
    base = getattr(settings, "GOVQMS_PUBLIC_BASE_URL", "") or ""
    if base:
        return base.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def qr_data_uri(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _last_event(dossier: Dossier, kind: str):
    return dossier.events.filter(kind=kind).order_by("-occurred_at", "-seq").first()


def slip_context(kind: str, dossier: Dossier, *, request=None) -> dict:
    slip = SLIPS[kind]
    receiving, competent = dossier.receiving_unit, dossier.competent_unit
    url = public_url(request, dossier)
    event = _last_event(dossier, slip.event_kind)
    version = dossier.version
    context = {
        "slip": slip,
        "dossier": dossier,
        "procedure": version.procedure,
        "version": version,
        "agency": official_name(competent),
        "office": receiving.name if receiving.pk != competent.pk else "",
        "place": place_name(receiving),
        "today": timezone.localdate(),
        "issued_at": timezone.localtime(event.occurred_at) if event else timezone.localtime(),
        "event": event,
        "received_at": timezone.localtime(dossier.received_at) if dossier.received_at else None,
        "due_at": timezone.localtime(dossier.due_at) if dossier.due_at else None,
        "original_due_at": (
            timezone.localtime(dossier.original_due_at) if dossier.original_due_at else None
        ),
        "documents": document_lines(version.procedure),
        "limit_days": version.limit_days,
        "limit_unit": version.get_limit_unit_display(),
        "calendar_days": version.calendar_days,
        "returning_unit": dossier.returning_unit,
        "postal": dossier.channel == Channel.POSTAL,
        "public_url": url,
        "qr": qr_data_uri(url),
    }
    if kind == APOLOGY and event is not None:
        new_due = event.data.get("new_due_at")
        context["new_due_at"] = (
            timezone.localtime(workflows._aware(new_due, "new_due_at")) if new_due else None
        )
        # The date promised before the apology: the receipt's due date moved by the pauses
        # that happened before it (a dossier is re-appointed once).
        state, _rule, calendar = services.dossier_state(dossier)
        if state.original_due_at is not None:
            before = calendar.extend_for_pauses(
                state.original_due_at, state.pauses[: state.pauses_from]
            )
            context["previous_due_at"] = timezone.localtime(before)
    return context


def render_html(kind: str, dossier: Dossier, *, request=None) -> str:
    """The slip as HTML (always in Vietnamese: these are official documents)."""
    with translation.override("vi"):
        return render_to_string(SLIPS[kind].template, slip_context(kind, dossier, request=request))


def url_fetcher():
    """WeasyPrint URL fetcher for slips: inline `data:` URLs only, never the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def render_pdf(kind: str, dossier: Dossier, *, request=None) -> bytes:
    from weasyprint import HTML  # imported lazily: pango/cairo load only when a slip is printed

    html = render_html(kind, dossier, request=request)
    return HTML(string=html, url_fetcher=url_fetcher()).write_pdf()
