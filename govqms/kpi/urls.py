from django.urls import path

from . import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tong-hop/", views.rollup, name="rollup"),
    path("ho-so/", views.dossiers, name="dossiers"),
    path("xuat/<slug:table>.<str:fmt>", views.export_table, name="export"),
    path("bieu-do/<slug:name>.png", views.chart_png, name="chart_png"),
]
