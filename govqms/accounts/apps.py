from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "govqms.accounts"
    label = "accounts"
    verbose_name = _("Tài khoản và phân quyền")

    def ready(self) -> None:
        from govqms.core.scoping import register_scope_provider

        from .scoping import user_scope

        register_scope_provider(user_scope)
