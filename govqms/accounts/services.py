"""Writes to accounts, roles and tokens. Each checks permission, runs in one transaction and
leaves an audit entry."""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.core.audit import audit_append
from govqms.core.scoping import require
from govqms.org.models import OrgUnit

from .models import ApiToken, RoleAssignment, User, hash_token
from .roles import Role
from .scoping import clear_scope_cache

PERM_MANAGE = "accounts.manage"
TOKEN_PREFIX = "gq_"  # noqa: S105 - a public marker, not a secret


def _check(actor, unit: OrgUnit | None) -> None:
    if actor is not None:
        require(actor, PERM_MANAGE, unit.path if unit else "/")


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str = "",
    home_unit: OrgUnit | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
    check_password: bool = True,
) -> User:
    _check(actor, home_unit)
    if is_superuser and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Chỉ quản trị tối cao mới tạo được quản trị tối cao."))
    user = User(
        username=username.strip(),
        full_name=full_name,
        email=email,
        home_unit=home_unit,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_append(
        actor=actor,
        action="create",
        obj=user,
        changes={
            "username": [None, user.username],
            "home_unit": [None, home_unit.code if home_unit else None],
            "is_staff": [None, is_staff],
            "is_superuser": [None, is_superuser],
        },
    )
    return user


@transaction.atomic
def user_admin_save(*, actor, user: User, changed: list[str], created: bool) -> User:
    """Save a user edited in the Django admin form, with the permission check and audit entry."""
    _check(actor, user.home_unit)
    if user.is_superuser and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Chỉ quản trị tối cao mới tạo được quản trị tối cao."))
    user.save()
    shown = {name: "***" if name == "password" else getattr(user, name, None) for name in changed}
    audit_append(
        actor=actor,
        action="create" if created else "update",
        obj=user,
        changes={name: [None, value] for name, value in shown.items()},
    )
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str, check_password: bool = True) -> None:
    if actor is None or actor.pk != user.pk:
        _check(actor, user.home_unit)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_append(actor=actor, action="update", obj=user, changes={"password": ["***", "***"]})


@transaction.atomic
def role_grant(
    *,
    actor,
    user: User,
    role: str,
    unit: OrgUnit,
    valid_until: datetime.datetime | None = None,
) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError({"role": _("Vai trò không hợp lệ: %s") % role})
    if unit.valid_to is not None:
        raise ValidationError({"unit": _("Không thể cấp quyền tại đơn vị đã hết hiệu lực.")})
    _check(actor, unit)
    if role == Role.ADMINISTRATOR and actor is not None and not actor.is_superuser:
        require(actor, PERM_MANAGE, "/")  # only a root-wide administrator creates administrators
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        unit=unit,
        defaults={
            "granted_by": actor if getattr(actor, "pk", None) else None,
            "valid_until": valid_until,
        },
    )
    if created:
        audit_append(
            actor=actor,
            action="grant",
            obj=assignment,
            changes={
                "user": [None, user.username],
                "role": [None, role],
                "unit": [None, unit.code],
            },
        )
    clear_scope_cache(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment, reason: str = "") -> None:
    _check(actor, assignment.unit)
    audit_append(
        actor=actor,
        action="revoke",
        obj=assignment,
        changes={
            "user": [assignment.user.username, None],
            "role": [assignment.role, None],
            "unit": [assignment.unit.code, None],
        },
        reason=reason,
    )
    user = assignment.user
    assignment.delete()
    clear_scope_cache(user)


@transaction.atomic
def api_token_create(
    *, actor, user: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user` (self-service, or by an accounts manager). Returns the raw key,
    which is never stored and cannot be shown again."""
    if actor is None or actor.pk != user.pk:
        _check(actor, user.home_unit)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API",
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    audit_append(
        actor=actor,
        action="create",
        obj=token,
        changes={"user": [None, user.username], "name": [None, token.name]},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    if actor is None or actor.pk != token.user_id:
        _check(actor, token.user.home_unit)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_append(actor=actor, action="revoke", obj=token)


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None. Touches last_used_at at most once a minute."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def login_record(*, user: User | None, username: str, success: bool) -> None:
    """Audit a login attempt (the throttling itself is django-axes')."""
    audit_append(
        actor=user if success else None,
        action="login" if success else "login_failed",
        object_type="accounts.user",
        object_id=str(user.pk) if user else "",
        object_label=username[:150],
        unit_path=user.audit_unit_path if user else "",
    )


def requires_two_factor(user: User) -> bool:
    """Administrators (and superusers) must pass TOTP when the setting asks for it."""
    from django.conf import settings

    if not settings.GOVQMS_REQUIRE_ADMIN_2FA or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return RoleAssignment.objects.active().filter(user=user, role=Role.ADMINISTRATOR).exists()
