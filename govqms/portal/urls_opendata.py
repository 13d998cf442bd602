"""/open-data/: the public figures as CSV and JSON, a DCAT catalogue and the licence. The file
URLs are stable: /open-data/indicators/<yyyy-mm>.<csv|json> (every unit),
/open-data/indicators/<unit-code>/<yyyy-mm>.<csv|json>, /open-data/procedures/<yyyy-mm>.<…>."""

from django.urls import path, re_path

from . import opendata

app_name = "opendata"

MONTH = r"(?P<month>\d{4}-\d{2})"
FMT = r"(?P<fmt>csv|json)"

urlpatterns = [
    path("", opendata.index, name="index"),
    path("catalog.json", opendata.catalog, name="catalog"),
    path("giay-phep/", opendata.licence, name="licence"),
    re_path(rf"^indicators/{MONTH}\.{FMT}$", opendata.units_file, name="units"),
    re_path(rf"^indicators/(?P<code>[\w.-]+)/{MONTH}\.{FMT}$", opendata.unit_file, name="unit"),
    re_path(rf"^procedures/{MONTH}\.{FMT}$", opendata.procedures_file, name="procedures"),
]
