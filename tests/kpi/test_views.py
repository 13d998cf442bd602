"""Staff dashboards (/chi-so/): permissions and scope, the indicator table, every figure's link
to exactly its dossiers, the roll-up adding up, filters, and a query count that does not grow
with the number of units."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govqms.kpi import selectors
from govqms.kpi.breakdowns import child_units, children_counts
from govqms.kpi.selectors import Figure
from govqms.procedures.models import Procedure, ProcedureVersion
from tests.conftest import make_unit
from tests.dossiers.conftest import HCM, version  # noqa: F401  (fixture)
from tests.kpi.test_rollups import open_dossier, record

APPLICANTS = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quang Dũng"]


def base_day() -> dt.datetime:
    """09:00 on the first weekday from the 8th of last month (the test month, M)."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=8)
    while last_month.weekday() >= 5:
        last_month += dt.timedelta(days=1)
    return dt.datetime.combine(last_month, dt.time(9, 0), tzinfo=HCM)


def _open(version, unit, at, i, channel="counter"):  # noqa: F811
    dossier = open_dossier(version, unit, at=at, channel=channel)
    dossier.applicant_name = APPLICANTS[i % len(APPLICANTS)]
    dossier.applicant_phone = f"09123456{i:02d}"
    dossier.save(update_fields=["applicant_name", "applicant_phone"])
    return dossier


def build_scenario(version, tree):  # noqa: F811
    """Month M: ward A has 9 early, 3 on-time and 2 late finished dossiers (3 filed online) and
    2 still open (overdue now); ward B has 2 early and 1 late on another procedure. Everything
    else is zero. Public threshold 5: ward B's counts and ward A's late count are small."""
    start = base_day()
    ward_a, ward_b = tree["ward_a"], tree["ward_b"]
    other = Procedure.objects.create(code="2.000002", name="Thủ tục chứng thực bản sao")
    version_b = ProcedureVersion.objects.create(
        procedure=other,
        unit=tree["hanoi"],
        number=1,
        status="active",
        limit_unit="working_days",
        limit_hours=Decimal(8),
    )
    i = 0
    for n in range(9):
        d = _open(
            version, ward_a, start + dt.timedelta(minutes=n), i, "online" if n < 3 else "counter"
        )
        record(d, "finished", at=d.received_at + dt.timedelta(hours=1))
        i += 1
    for n in range(3):
        d = _open(version, ward_a, start + dt.timedelta(minutes=20 + n), i)
        d.refresh_from_db()
        record(d, "finished", at=d.due_at)
        i += 1
    for n in range(2):
        d = _open(version, ward_a, start + dt.timedelta(minutes=30 + n), i)
        d.refresh_from_db()
        record(d, "finished", at=d.due_at + dt.timedelta(days=1))
        i += 1
    for n in range(2):
        _open(version, ward_a, start + dt.timedelta(minutes=40 + n), i)
        i += 1
    for n in range(3):
        d = _open(version_b, ward_b, start + dt.timedelta(minutes=50 + n), i)
        d.refresh_from_db()
        finish = d.received_at + dt.timedelta(hours=1)
        record(d, "finished", at=finish if n < 2 else d.due_at + dt.timedelta(days=1))
        i += 1
    first = start.date().replace(day=1)
    last = selectors.period_bounds("month", first)[1]
    return {**tree, "month": first, "month_end": last, "procedure_b": other, "start": start}


@pytest.fixture
def scenario(version, tree):  # noqa: F811
    return build_scenario(version, tree)


# --- HTML helpers -------------------------------------------------------------------------------


class Links(HTMLParser):
    """Every <a data-figure> (and every link into /chi-so/ho-so/) with its text."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href = None
        self._text: list[str] = []
        self.options: list[str] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "/chi-so/ho-so/" in (attrs.get("href") or ""):
            self._href, self._text = attrs["href"], []
        if tag == "select":
            self._select = attrs.get("name")
        if tag == "option" and self._select == "don_vi":
            self.options.append(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "a" and self._href:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._href:
            self._text.append(data)


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def drill_count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    match = re.search(r'id="drill-count" data-count="(\d+)"', response.content.decode())
    assert match, href
    return int(match.group(1))


def number(text: str) -> int:
    return int(text.replace(".", "").replace(",", "").split()[0])


def month_query(s, **extra) -> str:
    params = {"ky": "month", "ngay": s["month"].isoformat(), **extra}
    return "&".join(f"{k}={v}" for k, v in params.items())


# --- Access -------------------------------------------------------------------------------------


def test_dashboard_needs_login(client, db):
    response = client.get("/chi-so/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dashboard_refuses_users_without_report_view(client, users):
    client.force_login(users["desk_a"])
    assert client.get("/chi-so/").status_code == 403
    client.force_login(users["nobody"])
    assert client.get("/chi-so/").status_code == 403


def test_nav_shows_the_dashboard_only_to_report_viewers(client, users):
    client.force_login(users["leader_a"])
    assert 'href="/chi-so/"' in client.get("/").content.decode()
    client.force_login(users["desk_a"])
    assert 'href="/chi-so/"' not in client.get("/").content.decode()


def test_unit_picker_is_limited_to_the_users_scope(client, users, tree):
    client.force_login(users["leader_a"])
    response = client.get("/chi-so/")
    assert response.status_code == 200
    assert parse(response.content.decode()).options == ["00070"]
    assert client.get("/chi-so/?don_vi=00004").status_code == 404  # ward B: not theirs
    assert client.get("/chi-so/?don_vi=01").status_code == 404  # the province: not theirs
    assert client.get("/chi-so/ho-so/?don_vi=00004&measure=received").status_code == 404
    assert client.get("/chi-so/xuat/chi-so.csv?don_vi=00004").status_code == 404
    client.force_login(users["overseer"])
    options = parse(client.get("/chi-so/").content.decode()).options
    assert options[0] == "01" and {"00070", "00004", "01-STP"} <= set(options)
    assert "00070-VP" not in options  # internal divisions decide nothing


# --- Figures and drill-down ---------------------------------------------------------------------


def test_every_figure_on_the_dashboard_links_to_exactly_its_dossiers(client, users, scenario):
    client.force_login(users["overseer"])
    response = client.get(f"/chi-so/?don_vi=01&{month_query(scenario)}")
    assert response.status_code == 200
    html = response.content.decode()
    links = parse(html).links
    figures = [(href, text) for href, text in links if "code=" in href and "OPEN" not in href]
    assert len(figures) >= 10
    for href, text in links:
        assert drill_count(client, href) == number(text), (href, text)
    # The numbers themselves: ward A + ward B over the month.
    by_code = {
        parse_qs(urlsplit(h).query)["code"][0] + ":" + parse_qs(urlsplit(h).query)["part"][0]: t
        for h, t in links
        if "code=" in h
    }
    assert number(by_code["SHARE_FINISHED_ON_TIME:denominator"]) == 17
    assert number(by_code["SHARE_FINISHED_ON_TIME:numerator"]) == 14
    assert number(by_code["SHARE_FINISHED_LATE:numerator"]) == 3
    assert number(by_code["SHARE_ONLINE:numerator"]) == 3
    assert number(by_code["OPEN_OVERDUE:numerator"]) == 2


def test_drill_down_lists_masked_applicants_and_refuses_unknown_figures(client, users, scenario):
    client.force_login(users["leader_a"])
    q = month_query(scenario)
    html = client.get(
        f"/chi-so/ho-so/?{q}&code=SHARE_FINISHED_ON_TIME&part=denominator"
    ).content.decode()
    assert "Nguyễn V. A." in html and "Nguyễn Văn An" not in html
    assert "0912345600" not in html
    assert client.get(f"/chi-so/ho-so/?{q}&code=NOPE").status_code == 404
    assert client.get(f"/chi-so/ho-so/?{q}&code=SATISFACTION&part=numerator").status_code == 404
    assert client.get(f"/chi-so/ho-so/?{q}&measure=processing_seconds").status_code == 404


def test_a_ward_leader_sees_only_the_wards_figures(client, users, scenario):
    client.force_login(users["leader_a"])
    html = client.get(f"/chi-so/?{month_query(scenario)}").content.decode()
    links = dict(
        (
            parse_qs(urlsplit(h).query).get("code", [""])[0]
            + parse_qs(urlsplit(h).query).get("part", [""])[0],
            t,
        )
        for h, t in parse(html).links
    )
    assert number(links["SHARE_FINISHED_ON_TIMEdenominator"]) == 14


def test_rollup_rows_add_up_and_each_matches_the_childs_own_figure(client, users, scenario):
    hanoi = scenario["hanoi"]
    now = timezone.now()
    figure = Figure(hanoi, True, None, scenario["month"], scenario["month_end"], now)
    children = child_units(hanoi)
    per, total = children_counts(None, figure, children)
    assert total == {
        **selectors.rollup_counts(figure=figure),
        **selectors.snapshot_counts(figure=figure),
    }
    for child in children:
        own = Figure(child, True, None, scenario["month"], scenario["month_end"], now)
        expected = {**selectors.rollup_counts(figure=own), **selectors.snapshot_counts(figure=own)}
        got = per.get(child.pk)
        assert (got or dict.fromkeys(expected, 0)) == expected, child.code
    client.force_login(users["overseer"])
    html = client.get(f"/chi-so/tong-hop/?don_vi=01&{month_query(scenario)}").content.decode()
    assert "Phường Hoàn Kiếm" in html and "Sở Tư pháp" in html
    for href, text in parse(html).links:
        assert drill_count(client, href) == number(text), href


def test_merged_units_are_rolled_into_their_successor(client, users, scenario):
    from govqms.org import services as org_services

    old = make_unit("00073", "Phường Hàng Bạc (cũ)", "ward", scenario["hanoi"])
    org_services.unit_succession_record(
        actor=None,
        predecessors=[old],
        successors=[scenario["ward_a"]],
        kind="merge",
        effective_date=timezone.localdate() - dt.timedelta(days=400),
    )
    figure = Figure(
        scenario["hanoi"], True, None, scenario["month"], scenario["month_end"], timezone.now()
    )
    children = child_units(scenario["hanoi"])
    assert old not in children
    per, total = children_counts(None, figure, children)
    assert sum(c["received"] for c in per.values()) == total["received"] == 19


def test_custom_period_needs_both_dates(client, users, scenario):
    client.force_login(users["leader_a"])
    response = client.get("/chi-so/?ky=custom&tu=2026-03-10")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "Chọn ngày kết thúc" in html
    start = scenario["month"]
    response = client.get(f"/chi-so/?ky=custom&tu={start}&den={scenario['month_end']}")
    assert response.context["filters"].start == start


def test_weekly_trend_and_spc_charts_render_accessibly(client, users, scenario):
    client.force_login(users["leader_a"])
    html = client.get(f"/chi-so/?{month_query(scenario, chu_ky='week')}").content.decode()
    for chart in ("chart-volume", "chart-shares"):
        assert f'aria-labelledby="{chart}-t {chart}-d"' in html
        assert f'<title id="{chart}-t">' in html and f'<desc id="{chart}-d">' in html
        assert f'id="{chart}-caption"' in html  # the table alternative
    assert html.count('role="img"') >= 2


def test_procedure_filter(client, users, scenario):
    client.force_login(users["overseer"])
    q = month_query(scenario, thu_tuc="2.000002")
    html = client.get(f"/chi-so/?don_vi=01&{q}").content.decode()
    links = {
        parse_qs(urlsplit(h).query)["code"][0] + parse_qs(urlsplit(h).query)["part"][0]: t
        for h, t in parse(html).links
        if "code=" in h
    }
    assert number(links["SHARE_FINISHED_ON_TIMEdenominator"]) == 3


def test_dashboard_queries_do_not_grow_with_the_number_of_units(client, users, scenario):
    client.force_login(users["overseer"])
    url = f"/chi-so/tong-hop/?don_vi=01&{month_query(scenario)}"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for n in range(12):
        make_unit(f"9{n:04d}", f"Xã thử {n}", "commune", scenario["hanoi"])
    rebuilt = CaptureQueriesContext(connection)
    with rebuilt:  # the org tree changed: the lookups kept in memory are built again, once
        assert client.get(url).status_code == 200
    assert len(rebuilt) > len(before)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)
    with CaptureQueriesContext(connection) as dashboard:
        assert client.get(f"/chi-so/?don_vi=01&{month_query(scenario)}").status_code == 200
    assert len(dashboard) <= 45  # a fixed number: no query per unit, month or indicator
