from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.index, name="index"),
    path("tin-hieu/<int:pk>/<slug:action>/", views.signal_action, name="signal_action"),
]
