"""/cong-khai/: the public transparency portal (no login)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.transparency_index, name="index"),
    path("don-vi/<str:code>/", views.unit_page, name="unit"),
    path("thu-tuc/", views.procedures_page, name="procedures"),
    path("thu-tuc/<str:code>/", views.procedure_page, name="procedure"),
    path("chi-so/", views.indicators_page, name="indicators"),
    path("ngon-ngu/", views.language, name="language"),
]
