"""`govqms demo` builds Hanoi on the real divisions, one user per role, idempotently."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from govqms.accounts.models import RoleAssignment, User
from govqms.accounts.roles import Role
from govqms.core.audit import audit_verify
from govqms.demo.services import DEMO_PASSWORD, DEMO_USERS, demo_build
from govqms.org.models import OrgUnit


@pytest.mark.django_db
def test_demo_is_idempotent_and_covers_every_role(capsys):
    first = demo_build()
    units, users = OrgUnit.objects.count(), User.objects.count()
    assert first.users_created == len(DEMO_USERS)
    assert {role for _name, _full, role, _at, _home in DEMO_USERS} == set(Role.values)
    second = demo_build()
    assert (second.units_created, second.users_created) == (0, 0)
    assert (OrgUnit.objects.count(), User.objects.count()) == (units, users)
    assert RoleAssignment.objects.count() == len(DEMO_USERS)
    hanoi = OrgUnit.objects.current().get(code="01")
    assert hanoi.name == "Thành phố Hà Nội"
    assert OrgUnit.objects.current().filter(kind="department", parent=hanoi).count() >= 5
    assert audit_verify()[1] is None
    call_command("demo")
    assert "motcua" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_users_can_log_in(client):
    demo_build()
    response = client.post(
        reverse("accounts:login"), {"username": "lanhdao", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


@pytest.mark.django_db
def test_demo_administrator_has_a_totp_device(capsys):
    demo_build()
    call_command("totp_code", "quantri")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
