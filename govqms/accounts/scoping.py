"""The scope provider: a user's active role grants → the org subtrees a permission covers.

A grant at a unit covers its subtree and the history of every unit that (transitively) merged
into it, so today's ward sees the dossiers of the wards it replaced.
"""

from govqms.core.scoping import Scope
from govqms.org.selectors import predecessor_paths

from .models import RoleAssignment
from .roles import role_has

_CACHE_ATTR = "_govqms_scope_cache"


def user_scope(user, perm: str) -> Scope:
    if user.is_superuser:
        return Scope(everything=True)
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        grants = list(
            RoleAssignment.objects.active()
            .filter(user=user, unit__valid_to__isnull=True)
            .values_list("role", "unit__path")
        )
        cache = {"grants": grants}
        setattr(user, _CACHE_ATTR, cache)
    if perm not in cache:
        paths = {path for role, path in cache["grants"] if role_has(role, perm)}
        if paths:
            paths |= predecessor_paths(paths)
        # Drop prefixes already covered by a shorter one.
        minimal = sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
        cache[perm] = Scope(paths=tuple(minimal))
    return cache[perm]


def clear_scope_cache(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
