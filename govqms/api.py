"""The REST API root: /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Every operation requires authentication (a bearer API token, or the browser session with its
CSRF token) unless its operation id is in PUBLIC_OPERATIONS; a test walks the schema and
fails on any other operation that answers without credentials.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.security import APIKeyCookie, HttpBearer

from govqms.accounts.api import router as accounts_router
from govqms.accounts.services import api_token_authenticate
from govqms.core.api import router as audit_router
from govqms.dossiers.api import router as dossiers_router
from govqms.org.api import router as org_router
from govqms.portal.api import router as public_router
from govqms.procedures.api import router as procedures_router

PUBLIC_OPERATIONS = frozenset({"health", "public_dossier_get"})


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session (htmx calls from pages). CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="GovQMS API",
    version="1",
    description=_(
        "API của GovQMS: hệ thống quản lý chất lượng ISO 9001:2015 cho cơ quan hành chính."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


class Health(Schema):
    status: str
    database: str
    time: str


@api.get("/health", auth=None, response=Health, operation_id="health", tags=["system"])
def health(request):
    """Liveness and database reachability. Public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "database": connection.vendor, "time": timezone.now().isoformat()}


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("Không tìm thấy.")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("Không có quyền.")}, status=403)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("/org", org_router)
api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/dossiers", dossiers_router)
api.add_router("/public", public_router)
api.add_router("/procedures", procedures_router)
