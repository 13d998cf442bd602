"""A unit leader's journey: sign in, open the dashboard from the menu, pick last month, click
a figure, and find exactly that many dossiers in the list behind it."""

from __future__ import annotations

import re

import pytest

from tests.dossiers.conftest import version  # noqa: F401  (fixture)
from tests.kpi.test_views import scenario  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Mật-khẩu-thử-nghiệm-42"


def test_leader_clicks_a_figure_and_finds_its_dossiers(page, scenario, users):  # noqa: F811
    leader = users["leader_a"]
    leader.set_password(PASSWORD)
    leader.save()
    page.goto("/accounts/login/")
    page.fill("#id_username", "leader_a")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url("**/")

    menu = page.get_by_role("navigation", name="Điều hướng chính")
    menu.get_by_role("link", name="Chỉ số, báo cáo").click()
    page.wait_for_url("**/chi-so/")
    page.select_option("#id_ky", "month")
    page.fill("#id_ngay", scenario["start"].date().isoformat())
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url(re.compile(r".*ngay=.*"))

    figure = page.locator('a[data-figure="SHARE_FINISHED_ON_TIME-denominator"]')
    shown = int(figure.inner_text().strip())
    assert shown == 14  # ward A's finished dossiers with a due date last month
    figure.click()
    page.wait_for_url("**/chi-so/ho-so/**")
    count = int(page.locator("#drill-count").get_attribute("data-count"))
    assert count == shown
    assert page.locator("table tbody tr").count() == shown

    page.go_back()
    overdue = page.locator('a[data-figure="OPEN_OVERDUE-value"]')
    open_count = int(overdue.inner_text().strip())
    overdue.click()
    page.wait_for_url("**/chi-so/ho-so/**")
    assert int(page.locator("#drill-count").get_attribute("data-count")) == open_count == 2
