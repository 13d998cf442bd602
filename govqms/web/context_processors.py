"""Role-aware navigation: a menu item shows only when the user holds its permission somewhere."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from govqms.core.scoping import scope_for

# (label, url name, permission or None for every signed-in user)
NAV_ITEMS = [
    (_("Tổng quan"), "web:home", None),
    (_("Tiếp nhận hồ sơ"), "dossiers:reception", "dossier.receive"),
    (_("Hồ sơ của tôi"), "dossiers:worklist", "dossier.view"),
    (_("Mục tiêu chất lượng"), "quality:index", "quality.view"),
    (_("Chỉ số, báo cáo"), "kpi:dashboard", "report.view"),
    (_("Cơ cấu tổ chức"), "web:org_tree", "org.view"),
    (_("Nhật ký kiểm toán"), "web:audit_log", "audit.view"),
    (_("Tài khoản của tôi"), "accounts:profile", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name, perm in NAV_ITEMS:
        if perm is None or not scope_for(user, perm).empty:
            url = reverse(url_name)
            items.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_items": items}
