import datetime

from ninja import Router, Schema

from . import selectors

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    unit_code: str
    unit_name: str

    @staticmethod
    def resolve_unit_code(obj):
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[RoleOut]


class UserOut(Schema):
    username: str
    full_name: str
    home_unit_code: str | None
    is_active: bool
    last_login: datetime.datetime | None

    @staticmethod
    def resolve_home_unit_code(obj):
        return obj.home_unit.code if obj.home_unit_id else None


@router.get("/me", response=MeOut, operation_id="accounts_me")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": list(selectors.my_roles(user=user)),
    }


@router.get("/users", response=list[UserOut], operation_id="accounts_user_list")
def user_list(request, limit: int = 200, offset: int = 0):
    limit = max(1, min(limit, 1000))
    return list(selectors.user_list(user=request.user)[offset : offset + limit])
