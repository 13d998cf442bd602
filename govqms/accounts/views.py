import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors, services
from .forms import ApiTokenForm, LoginForm, TokenForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_record(user=form.get_user(), username=form.get_user().username, success=True)
        return response

    def form_invalid(self, form):
        username = form.data.get("username", "")
        if username:
            services.login_record(user=None, username=username, success=False)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return "/"


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache  # the enrolment page shows the TOTP secret
@login_required
def two_factor(request):
    """Verify a TOTP code; a user with no confirmed device first enrols one (QR + secret)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("Mã xác thực không đúng hoặc đã hết hạn."))
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["qr"] = _qr_svg(device.config_url)
    return render(request, "accounts/two_factor.html", context)


@never_cache  # a new API key is shown once: keep it out of caches and history
@login_required
def profile(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            actor=request.user, user=request.user, name=form.cleaned_data["name"]
        )
        messages.success(
            request, _("Đã tạo khóa API. Hãy sao chép ngay: khóa chỉ hiển thị một lần.")
        )
        form = ApiTokenForm()
    context = {
        "form": form,
        "new_key": new_key,
        "roles": selectors.my_roles(user=request.user),
        "tokens": selectors.my_tokens(user=request.user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = selectors.my_tokens(user=request.user).filter(pk=token_id).first()
    if token is not None:
        services.api_token_revoke(actor=request.user, token=token)
        messages.success(request, _("Đã thu hồi khóa API."))
    return redirect("accounts:profile")
