"""Deny-by-default scoping: which org subtrees a user may act on, for a given permission.

Domain models use `RestrictedQuerySet` and name the lookup to their unit's tree path in
`scope_path_lookup` (e.g. "unit__path"). The accounts app registers the provider that turns a
user's role grants into path prefixes; core itself knows nothing about roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Scope:
    """`everything` (province-wide admin/superuser) or a set of tree-path prefixes."""

    everything: bool = False
    paths: tuple[str, ...] = ()

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(prefix) for prefix in self.paths)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.paths


NOTHING = Scope()
ScopeProvider = Callable[[object, str], Scope]
_provider: ScopeProvider | None = None


def register_scope_provider(provider: ScopeProvider) -> None:
    global _provider
    _provider = provider


def scope_for(user, perm: str) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if _provider is None:
        return NOTHING
    return _provider(user, perm)


def path_q(lookup: str, scope: Scope) -> Q:
    q = Q()
    for prefix in scope.paths:
        q |= Q(**{f"{lookup}__startswith": prefix})
    return q


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        scope = scope_for(user, perm)
        if scope.everything:
            return self
        if scope.empty:
            return self.none()
        lookup = getattr(self.model, "scope_path_lookup", None)
        if lookup is None:
            raise TypeError(f"{self.model.__name__} has no scope_path_lookup")
        return self.filter(path_q(lookup, scope))


def require(user, perm: str, path: str) -> None:
    """Raise PermissionDenied unless `user` holds `perm` over the unit at tree `path`."""
    if not scope_for(user, perm).covers(path):
        raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này tại đơn vị này."))
