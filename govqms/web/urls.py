from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("don-vi/", views.org_tree, name="org_tree"),
    path("don-vi/<str:code>/", views.org_unit, name="org_unit"),
    path("don-vi/<str:code>/con/", views.org_children, name="org_children"),
    path("nhat-ky/", views.audit_log, name="audit_log"),
]
