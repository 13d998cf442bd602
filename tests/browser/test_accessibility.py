"""axe-core (WCAG 2.1 A and AA rules) in Chromium on the public pages, the dossier lookup, the
login page and the staff dashboards: zero violations. The axe-core script comes bundled in the
`axe-playwright-python` package (loaded from disk, injected into the page)."""

from __future__ import annotations

import pytest

from govqms.dossiers import services
from govqms.portal import throttle
from tests.dossiers.conftest import version  # noqa: F401  (fixture)
from tests.kpi.test_views import scenario  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "Mật-khẩu-thử-nghiệm-42"


def axe_violations(page) -> tuple[int, str]:
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright",
        reason="axe-playwright-python (bundles axe-core) is not installed",
    )
    for summary in page.locator("details > summary").all():  # chart tables too
        summary.click()
    results = axe_module.Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    return results.violations_count, results.generate_report()


def check(page, url: str) -> int:
    response = page.goto(url)
    assert response is not None and response.status in (200, 404, 429), url
    count, report = axe_violations(page)
    assert count == 0, f"{url}\n{report}"
    return response.status


def test_public_pages_have_no_wcag_violations(page, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    for url in (
        "/cong-khai/",
        f"/cong-khai/don-vi/01/?thang={month}",
        f"/cong-khai/don-vi/00070/?thang={month}",
        f"/cong-khai/thu-tuc/?thang={month}",
        f"/cong-khai/thu-tuc/1.001193/?thang={month}",
        "/cong-khai/chi-so/",
        "/open-data/",
        "/open-data/giay-phep/",
    ):
        check(page, url)


def test_lookup_and_login_have_no_wcag_violations(
    page,
    scenario,  # noqa: F811
    users,
    settings,
    monkeypatch,
):
    monkeypatch.setattr(throttle, "_now", lambda: 1_800_000_000.0)  # one throttle window
    settings.GOVQMS_LOOKUP_MISS_RATE = "1/10m"
    dossier = services.Dossier.objects.filter(competent_unit=scenario["ward_a"]).first()
    for url in (
        "/tra-cuu/",
        f"/tra-cuu/?ma={dossier.code}",
        "/tra-cuu/?ma=KHONG-CO",
        "/accounts/login/",
    ):
        check(page, url)
    # Refused by the throttle: one unknown code is the limit here.
    assert check(page, f"/tra-cuu/?ma={dossier.code}") == 429


def test_staff_dashboards_have_no_wcag_violations(page, scenario, users):  # noqa: F811
    overseer = users["overseer"]
    overseer.set_password(PASSWORD)
    overseer.save()
    page.goto("/accounts/login/")
    page.fill("#id_username", "overseer")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url("**/")
    query = f"don_vi=01&ky=month&ngay={scenario['month'].isoformat()}"
    for url in (
        f"/chi-so/?{query}",
        f"/chi-so/tong-hop/?{query}",
        f"/chi-so/ho-so/?{query}&measure=received",
    ):
        check(page, url)
