"""Open data (/open-data/): a DCAT catalogue in JSON-LD whose every download answers with the
right type, CSV and JSON with stable URLs, the same suppression as the portal, a licence."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pytest

from govqms.portal import disclosure, figures
from tests.dossiers.conftest import version  # noqa: F401  (fixture)
from tests.kpi.test_views import APPLICANTS, scenario  # noqa: F401  (fixture)
from tests.portal.test_transparency import page_table


def path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url  # absolute, stable
    return parts.path


@pytest.fixture
def catalog(client, scenario):  # noqa: F811
    response = client.get("/open-data/catalog.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert "public" in response["Cache-Control"]
    return json.loads(response.content)  # valid JSON


def test_catalogue_is_dcat_in_json_ld(catalog, scenario):  # noqa: F811
    context = catalog["@context"]
    assert context["dcat"] == "http://www.w3.org/ns/dcat#"
    assert context["dct"] == "http://purl.org/dc/terms/"
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["@id"] == "http://testserver/open-data/catalog.json"
    assert catalog["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert catalog["dct:publisher"]["foaf:name"] == "Thành phố Hà Nội"
    datasets = catalog["dcat:dataset"]
    ids = {d["dct:identifier"] for d in datasets}
    month = scenario["month"].strftime("%Y-%m")
    assert {f"indicators-{month}", f"procedures-{month}", f"indicators-00070-{month}"} <= ids
    table = figures.month_tables(scenario["hanoi"], [scenario["month"]])[scenario["month"]]
    listed = {r.code for r in [table.total, *table.units] if f"indicators-{r.code}-{month}" in ids}
    # A unit's dataset is listed when the page shows its row (activity, or a hidden cell):
    # listing only units with dossiers would tell a hidden zero from a hidden small count.
    assert listed == {r.code for r in [table.total, *table.units] if r.active}
    for dataset in datasets:
        assert dataset["@type"] == "dcat:Dataset"
        for key in ("dct:title", "dct:description", "dct:issued", "dct:modified", "dct:publisher"):
            assert dataset[key], key
        assert dataset["dct:license"]["@id"] == catalog["dct:license"]["@id"]
        assert dataset["dct:issued"]["@type"] == "xsd:date"
        temporal = dataset["dct:temporal"]
        assert temporal["dcat:startDate"]["@value"] <= temporal["dcat:endDate"]["@value"]
        formats = {d["dct:format"] for d in dataset["dcat:distribution"]}
        assert formats == {"CSV", "JSON"}


def test_every_download_url_answers_with_its_media_type(client, catalog):
    checked = 0
    for dataset in catalog["dcat:dataset"]:
        for dist in dataset["dcat:distribution"]:
            assert dist["@type"] == "dcat:Distribution"
            url = dist["dcat:downloadURL"]["@id"]
            response = client.get(path(url))
            assert response.status_code == 200, url
            media = dist["dcat:mediaType"]["@id"].split("/media-types/")[1]
            assert response["Content-Type"].split(";")[0] == media, url
            assert response["Access-Control-Allow-Origin"] == "*"
            if media == "application/json":
                json.loads(response.content)
            checked += 1
    assert checked >= 6


def test_csv_and_json_agree_with_the_portal_and_suppress_the_same_cells(client, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    body = client.get(f"/open-data/indicators/{month}.csv").content.decode("utf-8")
    assert not body.startswith("\ufeff")
    rows = {r["unit_name"]: r for r in csv.DictReader(io.StringIO(body))}
    data = json.loads(client.get(f"/open-data/indicators/{month}.json").content)
    assert data["month"] == month and data["min_count"] == 5
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert [c["name"] for c in data["columns"]][:5] == [
        "month",
        "row_type",
        "province_code",
        "unit_code",
        "unit_name",
    ]
    by_name = {r["unit_name"]: r for r in data["rows"]}
    page = page_table(client, f"/cong-khai/don-vi/01/?thang={month}")
    for name, cells in page.items():
        if name == "Đơn vị":
            continue
        for column, text in zip(figures.COUNTS, cells, strict=False):
            csv_value, json_value = rows[name][column], by_name[name][column]
            if text == "x":
                assert csv_value == "" and json_value is None, (name, column)
                assert by_name[name]["suppressed"][column] == "hidden"
                assert f"{column}:hidden" in rows[name]["suppressed"].split(";")
            else:
                assert int(csv_value) == json_value == int(text), (name, column)
    ward_b = by_name["Phường Ba Đình"]
    assert ward_b["received"] is None and ward_b["suppressed"]["share_on_time"] == "derived"
    for secret in (*APPLICANTS, "0912345600"):
        assert secret not in body


def test_open_data_gives_every_hidden_count_the_same_reason(client, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    table = figures.month_tables(scenario["hanoi"], [scenario["month"]])[scenario["month"]]
    states = {s for r in [*table.rows(), *table.procedures] for s in r.hidden.values()}
    assert states == {disclosure.SMALL, disclosure.LINKED}  # both kinds are on these pages
    for name in ("indicators", "procedures"):
        data = json.loads(client.get(f"/open-data/{name}/{month}.json").content)
        reasons = {
            (column in figures.COUNTS, reason)
            for row in data["rows"]
            for column, reason in row["suppressed"].items()
        }
        assert reasons == {(True, "hidden"), (False, "derived")}, name
        body = client.get(f"/open-data/{name}/{month}.csv").content.decode()
        reasons = {
            item.split(":")[1]
            for row in csv.DictReader(io.StringIO(body))
            for item in row["suppressed"].split(";")
            if item
        }
        assert reasons == {"hidden", "derived"}, name
        assert "<5" not in body and "<5" not in json.dumps(data, ensure_ascii=False)


def test_unit_and_procedure_files(client, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    one = json.loads(client.get(f"/open-data/indicators/00070/{month}.json").content)
    assert [r["unit_code"] for r in one["rows"]] == ["00070"]
    everything = json.loads(client.get(f"/open-data/indicators/{month}.json").content)
    same = next(r for r in everything["rows"] if r["unit_code"] == "00070")
    assert one["rows"][0] == same  # a unit's file is a slice of the all-units file
    procedures = list(
        csv.DictReader(
            io.StringIO(client.get(f"/open-data/procedures/{month}.csv").content.decode())
        )
    )
    assert {r["procedure_code"] for r in procedures} == {"", "1.001193", "2.000002"}
    assert client.get(f"/open-data/indicators/01-STP/{month}.csv").status_code == 200


def test_bad_addresses_answer_404(client, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    assert client.get("/open-data/indicators/1999-01.csv").status_code == 404
    assert client.get("/open-data/indicators/2026-13.json").status_code == 404
    assert client.get("/open-data/indicators/2999-01.json").status_code == 404
    assert client.get(f"/open-data/indicators/nope/{month}.csv").status_code == 404
    assert client.get(f"/open-data/indicators/00070-VP/{month}.csv").status_code == 404
    assert client.get(f"/open-data/indicators/{month}.xml").status_code == 404


def test_licence_page_and_setting(client, scenario, settings):  # noqa: F811
    html = client.get("/open-data/giay-phep/").content.decode()
    assert "CC BY 4.0" in html and "GOVQMS_OPEN_DATA_LICENSE" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in html
    settings.GOVQMS_OPEN_DATA_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
    catalog = json.loads(client.get("/open-data/catalog.json").content)
    assert catalog["dct:license"]["@id"] == settings.GOVQMS_OPEN_DATA_LICENSE
    month = scenario["month"].strftime("%Y-%m")
    response = client.get(f"/open-data/indicators/{month}.csv")
    assert settings.GOVQMS_OPEN_DATA_LICENSE in response["Link"]
    assert "CC0" in client.get("/open-data/giay-phep/").content.decode()


def test_index_lists_the_monthly_files(client, scenario):  # noqa: F811
    month = scenario["month"].strftime("%Y-%m")
    html = client.get("/open-data/").content.decode()
    assert f'href="/open-data/indicators/{month}.csv"' in html
    assert 'href="/open-data/catalog.json"' in html
