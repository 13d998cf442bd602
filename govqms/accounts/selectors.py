from .models import ApiToken, RoleAssignment, User

PERM_VIEW = "accounts.view"


def user_list(*, user):
    return User.objects.restrict(user, PERM_VIEW).select_related("home_unit").order_by("username")


def role_assignment_list(*, user, for_user: User | None = None):
    qs = RoleAssignment.objects.restrict(user, PERM_VIEW).select_related("user", "unit")
    if for_user is not None:
        qs = qs.filter(user=for_user)
    return qs.order_by("unit__path", "role")


def my_roles(*, user):
    """A user's own grants (always visible to themselves)."""
    return (
        RoleAssignment.objects.active()
        .filter(user=user)
        .select_related("unit")
        .order_by("unit__path", "role")
    )


def my_tokens(*, user):
    return ApiToken.objects.filter(user=user).order_by("-created_at")
