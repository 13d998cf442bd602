"""Login (throttled, audited), Argon2 hashing, TOTP for administrators, permission checks."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from govqms.accounts import services
from govqms.accounts.roles import Role
from govqms.core.models import AuditEntry

PASSWORD = "Mật-khẩu-đủ-dài-2026"


@pytest.fixture
def clerk(users):
    user = users["desk_a"]
    services.user_set_password(actor=None, user=user, password=PASSWORD)
    return user


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(clerk):
    clerk.refresh_from_db()
    assert clerk.password.startswith("argon2$")


def test_login_succeeds_and_is_audited(client, clerk):
    response = _login(client, "desk_a", PASSWORD)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login", actor=clerk).exists()


def test_failed_logins_are_audited_then_throttled(client, clerk, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _login(client, "desk_a", "wrong").status_code == 200
    assert _login(client, "desk_a", "wrong").status_code == 429  # the limit-th failure locks
    failures = AuditEntry.objects.filter(action="login_failed", object_label="desk_a").count()
    assert failures >= limit - 1
    locked = _login(client, "desk_a", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_anonymous_pages_redirect_to_login(client, db):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_administrator_must_pass_totp(client, users, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp backs off after a failure; not under test
    admin = users["admin"]
    client.force_login(admin)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert reverse("accounts:two_factor") in response["Location"]
    # Enrolment page creates an unconfirmed device and shows its secret.
    page = client.get(reverse("accounts:two_factor"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=admin)
    assert not device.confirmed
    bad = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    assert bad.status_code == 200 and client.get(reverse("web:home")).status_code == 302
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    ok = client.post(reverse("accounts:two_factor") + "?next=/", {"token": code})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("web:home")).status_code == 200


def test_non_administrators_need_no_totp(client, users):
    client.force_login(users["leader_a"])
    assert client.get(reverse("web:home")).status_code == 200


def test_services_check_permission_at_the_unit(users, tree):
    leader_a, admin = users["leader_a"], users["admin"]
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=leader_a, user=users["desk_b"], role=Role.CASE_HANDLER, unit=tree["ward_a"]
        )
    grant = services.role_grant(
        actor=admin, user=users["desk_b"], role=Role.CASE_HANDLER, unit=tree["ward_b"]
    )
    entry = AuditEntry.objects.filter(action="grant").latest("seq")
    assert entry.actor == admin
    assert entry.changes["role"] == [None, "case_handler"]
    assert entry.unit_path == tree["ward_b"].path
    services.role_revoke(actor=admin, assignment=grant, reason="moved")
    assert AuditEntry.objects.filter(action="revoke", reason="moved").exists()


def test_a_ward_administrator_cannot_create_administrators(users, tree):
    ward_admin = services.user_create(
        actor=None, username="ward_admin", password=None, home_unit=tree["ward_a"]
    )
    services.role_grant(actor=None, user=ward_admin, role=Role.ADMINISTRATOR, unit=tree["ward_a"])
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=ward_admin, user=users["desk_a"], role=Role.ADMINISTRATOR, unit=tree["ward_a"]
        )
    # ...but may grant ordinary roles inside the ward.
    services.role_grant(
        actor=ward_admin, user=users["desk_a"], role=Role.CASE_HANDLER, unit=tree["ward_a"]
    )


def test_expired_grant_gives_no_scope(users, tree):
    import datetime

    from django.utils import timezone

    from govqms.org.selectors import unit_list

    user = services.user_create(actor=None, username="temp", password=None)
    services.role_grant(
        actor=None,
        user=user,
        role=Role.UNIT_LEADER,
        unit=tree["ward_a"],
        valid_until=timezone.now() - datetime.timedelta(minutes=1),
    )
    assert list(unit_list(user=user)) == []
