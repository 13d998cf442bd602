"""The staff shell renders in Vietnamese, serves every asset locally, and its htmx endpoints
answer with fragments."""

from __future__ import annotations

from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from govqms.accounts import services as account_services
from govqms.accounts.models import ApiToken
from govqms.accounts.roles import Role
from govqms.core.audit import audit_append
from govqms.org import services as org_services
from govqms.web.views import AUDIT_PAGE_SIZE

pytestmark = pytest.mark.django_db


class AssetCollector(HTMLParser):
    """Every URL the browser would fetch by itself: scripts, stylesheets, icons, images, frames."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        for name in ("src", "href", "srcset", "data", "poster"):
            value = attrs.get(name)
            if value and (tag != "a" or name != "href"):
                self.urls.append((tag, value))


def assets(html: str) -> AssetCollector:
    parser = AssetCollector()
    parser.feed(html)
    return parser


def assert_no_external_assets(html: str) -> None:
    found = assets(html)
    external = [
        (tag, url)
        for tag, url in found.urls
        if url.lower().startswith(("http://", "https://", "//"))
    ]
    assert external == []
    assert "@import" not in html and "url(http" not in html


@pytest.fixture
def web_tree(db):
    province = org_services.unit_create(
        actor=None, code="01", name="Thành phố Hà Nội", kind="province", national_code="01"
    )
    ward = org_services.unit_create(
        actor=None,
        code="00070",
        name="Phường Hoàn Kiếm",
        kind="ward",
        parent=province,
        national_code="00070",
    )
    division = org_services.unit_create(
        actor=None,
        code="00070-VP",
        name="Văn phòng HĐND và UBND phường",
        kind="division",
        parent=ward,
    )
    return {"province": province, "ward": ward, "division": division}


@pytest.fixture
def officer(web_tree):
    """A quality officer at the province: sees the org tree and the audit log."""
    user = account_services.user_create(
        actor=None,
        username="thuky",
        password=None,
        full_name="Nguyễn Thị Hoa",
        home_unit=web_tree["province"],
    )
    account_services.role_grant(
        actor=None, user=user, role=Role.QUALITY_OFFICER, unit=web_tree["province"]
    )
    return user


@pytest.fixture
def logged_in(client, officer):
    client.force_login(officer)
    return client


# --- Anonymous -----------------------------------------------------------------------------------


def test_login_page_in_vietnamese(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "<title>Đăng nhập · GovQMS</title>" in html
    assert '<label for="id_username">Tên đăng nhập:</label>' in html
    assert '<label for="id_password">Mật khẩu:</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="skip-link" href="#main"' in html
    assert_no_external_assets(html)


def test_login_error_is_announced(client, officer):
    response = client.post(reverse("accounts:login"), {"username": "thuky", "password": "sai"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="alert alert-error" role="alert"' in html


def test_lockout_page_says_when_to_retry(client, officer, settings):
    settings.AXES_FAILURE_LIMIT = 2
    url = reverse("accounts:login")
    client.post(url, {"username": "thuky", "password": "sai-1"})
    response = client.post(url, {"username": "thuky", "password": "sai-2"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Tạm khóa đăng nhập" in html
    assert "Vui lòng thử lại sau 15 phút." in html


# --- Signed-in pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name, args, expected",
    [
        ("web:home", (), "Xin chào, Nguyễn Thị Hoa"),
        ("web:org_tree", (), "Cơ cấu tổ chức"),
        ("web:org_unit", ("00070",), "Phường Hoàn Kiếm"),
        ("web:audit_log", (), "Nhật ký kiểm toán"),
        ("accounts:profile", (), "Tài khoản của tôi"),
    ],
)
def test_pages_render_for_a_user_with_a_role(logged_in, url_name, args, expected):
    response = logged_in.get(reverse(url_name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert expected in html
    assert_no_external_assets(html)
    # htmx comes from our own static files, never a CDN.
    assert "/static/vendor/htmx/htmx.min.js" in assets(html).scripts


def test_home_shows_roles_units_and_links(logged_in):
    html = logged_in.get(reverse("web:home")).content.decode()
    assert "Thư ký ISO" in html
    assert "Thành phố Hà Nội" in html
    assert f'href="{reverse("web:org_tree")}"' in html
    assert f'href="{reverse("web:audit_log")}"' in html


def test_user_without_roles_is_told_so(client, web_tree):
    user = account_services.user_create(actor=None, username="moi", password=None)
    client.force_login(user)
    html = client.get(reverse("web:home")).content.decode()
    assert "Bạn chưa được phân vai trò tại đơn vị nào" in html
    assert f'href="{reverse("web:audit_log")}"' not in html  # no menu item without the permission


def test_org_tree_has_accessible_toggles(logged_in, web_tree):
    html = logged_in.get(reverse("web:org_tree")).content.decode()
    url = reverse("web:org_children", args=["01"])
    assert f'hx-get="{url}"' in html
    assert 'aria-expanded="false"' in html
    assert f'aria-controls="org-sub-{web_tree["province"].pk}"' in html


def test_org_children_partial_is_a_fragment(logged_in, web_tree):
    url = reverse("web:org_children", args=["01"])
    response = logged_in.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html
    assert html.lstrip().startswith("<ul")
    assert "Phường Hoàn Kiếm" in html
    # The ward has a child of its own, so it gets its own toggle.
    assert f'hx-get="{reverse("web:org_children", args=["00070"])}"' in html


def test_org_children_without_htmx_goes_to_the_unit_page(logged_in, web_tree):
    response = logged_in.get(reverse("web:org_children", args=["01"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:org_unit", args=["01"])


def test_org_unit_page_has_breadcrumb_facts_and_children(logged_in, web_tree):
    html = logged_in.get(reverse("web:org_unit", args=["00070"])).content.decode()
    assert f'<a href="{reverse("web:org_unit", args=["01"])}">Thành phố Hà Nội</a>' in html
    assert 'aria-current="page">Phường Hoàn Kiếm</a>' in html
    assert "00070" in html
    assert "Phường" in html  # kind
    assert "Văn phòng HĐND và UBND phường" in html


def test_org_unit_outside_scope_is_404(client, web_tree):
    other = org_services.unit_create(actor=None, code="79", name="TP Hồ Chí Minh", kind="province")
    user = account_services.user_create(actor=None, username="hcm", password=None)
    account_services.role_grant(actor=None, user=user, role=Role.CASE_HANDLER, unit=other)
    client.force_login(user)
    response = client.get(reverse("web:org_unit", args=["00070"]))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()  # our 404 page, in Vietnamese


def test_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert '<html lang="vi">' in html and "Lỗi hệ thống" in html
    assert_no_external_assets(html)


def test_audit_log_pages_with_htmx_load_more(logged_in, web_tree):
    for i in range(AUDIT_PAGE_SIZE + 5):
        audit_append(
            actor=None,
            action="update",
            obj=web_tree["ward"],
            changes={"name": [f"Tên cũ {i}", f"Tên mới {i}"]},
        )
    url = reverse("web:audit_log")
    html = logged_in.get(url).content.decode()
    assert "Tên cũ 54 → Tên mới 54" in html  # newest first
    assert "<time datetime=" in html
    assert f'href="{url}?page=2"' in html  # plain link fallback
    assert f'hx-get="{url}?page=2"' in html

    more = logged_in.get(url, {"page": 2}, HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    rows = more.content.decode()
    assert "<html" not in rows and "<table" not in rows
    assert rows.lstrip().startswith("<tr")
    assert "Tên cũ 0 → Tên mới 0" in rows
    assert "?page=3" not in rows


def test_audit_log_time_is_vietnam_time(logged_in, web_tree):
    entry = audit_append(actor=None, action="other", obj=web_tree["ward"])
    html = logged_in.get(reverse("web:audit_log")).content.decode()
    local = entry.created_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%d/%m/%Y %H:%M:%S") in html


def test_profile_creates_shows_once_and_revokes_a_token(logged_in, officer):
    url = reverse("accounts:profile")
    response = logged_in.post(url, {"name": "Kết nối một cửa"})
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(user=officer)
    assert 'id="new-api-key">gq_' in html
    assert "Kết nối một cửa" in html
    again = logged_in.get(url).content.decode()
    assert 'id="new-api-key"' not in again  # shown once
    revoke_url = reverse("accounts:token_revoke", args=[token.pk])
    assert f'action="{revoke_url}"' in again
    logged_in.post(revoke_url)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_two_factor_enrolment_shows_qr_and_secret(client, web_tree):
    admin = account_services.user_create(actor=None, username="qt", password=None, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("accounts:two_factor"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'id="totp-secret">' in html
    assert "Thiết lập xác thực hai lớp" in html
    assert_no_external_assets(html)
