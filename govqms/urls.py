from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from .api import api

admin.site.site_header = "GovQMS"
admin.site.site_title = "GovQMS"

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("govqms.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("quan-tri/", admin.site.urls),
    path("ho-so/", include("govqms.dossiers.urls")),
    path("tra-cuu/", include("govqms.portal.urls")),
    path("chi-so/", include("govqms.kpi.urls")),
    path("cong-khai/", include("govqms.portal.urls_public")),
    path("open-data/", include("govqms.portal.urls_opendata")),
    path("chat-luong/", include("govqms.quality.urls")),
    path("", include("govqms.web.urls")),
]
