from django.shortcuts import redirect
from django.urls import reverse

from .services import requires_two_factor

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/healthz", "/tra-cuu/")


class AdminTwoFactorMiddleware:
    """Administrators must pass TOTP before any page; unenrolled ones are sent to enrol."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and not user.is_verified()
            and requires_two_factor(user)
        ):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
