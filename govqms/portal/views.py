"""Public pages: no login, no personal data, not indexed by search engines."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from govqms.dossiers.selectors import public_lookup

MAX_CODE = 60


@never_cache
@require_GET
def lookup(request):
    """/tra-cuu/?ma=<code>: a dossier's status and expected return date, in plain Vietnamese.
    The QR code on every slip points here."""
    code = " ".join(request.GET.get("ma", "").split())[:MAX_CODE]
    result = public_lookup(code) if code else None
    response = render(
        request,
        "portal/lookup.html",
        {"code": code, "result": result, "searched": bool(code)},
        status=200 if result or not code else 404,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
