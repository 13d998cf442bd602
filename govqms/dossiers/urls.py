from django.urls import path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("", views.dossier_list, name="list"),
    path("tiep-nhan/", views.reception, name="reception"),
    path("tiep-nhan/thu-tuc/", views.reception_procedures, name="reception_procedures"),
    path("viec-cua-toi/", views.worklist, name="worklist"),
    path("<str:code>/", views.dossier_detail, name="detail"),
    path("<str:code>/su-kien/", views.dossier_event, name="event"),
    path("<str:code>/phieu/<slug:kind>/", views.slip, name="slip"),
]
