from django.apps import AppConfig


class KpiConfig(AppConfig):
    """KPIs, the Decision 766 scoreboard and statistical process control (pure cores for now).

    No `verbose_name` yet: a gettext_lazy label is a new catalog string, and the catalogs are
    updated together with the app's entry in INSTALLED_APPS (docs/i18n.md).
    """

    name = "govqms.kpi"
    label = "kpi"
