"""`govqms import-divisions`: real divisions from the installed packages, idempotent, audited.

Expected figures are computed here from the packages themselves (their public API, not the
loader's code paths), so the tests follow a data update instead of pinning numbers.
"""

import datetime
import io
import time
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from vietnam_address_converter.data import DEFAULT_DATA
from vietnam_provinces import Province, Ward

from govqms.core.audit import audit_verify
from govqms.core.models import AuditEntry
from govqms.org import selectors
from govqms.org.divisions import DivisionImportError, divisions_import, name_key
from govqms.org.models import OrgUnit, UnitSuccession
from tests.conftest import make_unit, make_user

REFORM = datetime.date(2025, 7, 1)
HANOI = "01"
BAC_NINH = "24"  # Bắc Giang + Bắc Ninh merged on 1 July 2025
CURRENT_WARD_KINDS = {"ward", "commune", "special_zone"}
OLD_WARD_KINDS = {"ward", "commune", "township"}


def package_wards(gso: str) -> list:
    return [w for w in Ward.iter_all() if int(w.province_code) == int(gso)]


def package_province(gso: str):
    return next(p for p in Province.iter_all() if int(p.code) == int(gso))


def converter_rows(gso: str) -> list[dict]:
    """The converter's mapping rows for the old provinces that became province `gso`."""
    bare = package_province(gso).name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    new_code = next(c for c, p in DEFAULT_DATA["newProvinces"].items() if p["name"] == bare)
    rows = DEFAULT_DATA["mapping"]["rows"]
    old_codes = {r["old"]["province_code"] for r in rows if r["new"]["province_code"] == new_code}
    return [r for r in rows if r["old"]["province_code"] in old_codes]


def expected(gso: str) -> dict:
    rows = converter_rows(gso)
    old_provinces = {r["old"]["province_code"] for r in rows}
    ward_pairs = {
        (r["old"]["ward_code"], r["new"]["ward_code"]) for r in rows if r["old"]["ward_code"]
    }
    districts = {r["old"]["district_code"] for r in rows}
    continuing = len(old_provinces) == 1
    return {
        "wards": len(package_wards(gso)),
        "historical_provinces": 0 if continuing else len(old_provinces),
        "historical_districts": len(districts),
        "historical_wards": len({r["old"]["ward_code"] for r in rows if r["old"]["ward_code"]}),
        # one link per (old ward, new ward), per district, per ceased province
        "successions": len(ward_pairs) + len(districts) + (0 if continuing else len(old_provinces)),
    }


@pytest.fixture
def hanoi_import(db):
    return divisions_import(actor=None, province=HANOI)


# -- the data -----------------------------------------------------------------------------------


def test_hanoi_counts_match_the_packages(hanoi_import):
    report, want = hanoi_import, expected(HANOI)
    assert report.provinces == 1
    assert report.wards == want["wards"]
    assert report.historical_provinces == want["historical_provinces"] == 0
    assert report.historical_districts == want["historical_districts"]
    assert report.historical_wards == want["historical_wards"]
    assert report.successions == want["successions"]
    assert report.unmatched_rows == 0

    hanoi = OrgUnit.objects.current().get(code=HANOI)
    current = OrgUnit.objects.current().filter(parent=hanoi, kind__in=CURRENT_WARD_KINDS)
    assert current.count() == want["wards"]
    history = OrgUnit.objects.subtree(hanoi).filter(valid_to=REFORM)
    assert history.filter(kind="district").count() == want["historical_districts"]
    assert history.filter(kind__in=OLD_WARD_KINDS).count() == want["historical_wards"]
    assert UnitSuccession.objects.count() == want["successions"]
    assert (
        report.created
        == 1 + want["wards"] + want["historical_districts"] + want["historical_wards"]
    )


def test_codes_are_the_national_codes(hanoi_import):
    hanoi = OrgUnit.objects.current().get(code=HANOI)
    assert (hanoi.national_code, hanoi.path, hanoi.depth, hanoi.kind) == (
        "01",
        "/01/",
        0,
        "province",
    )
    assert hanoi.name == package_province(HANOI).name
    assert hanoi.valid_from is None, "Hà Nội was not merged: it is the same unit as before"

    package_ward = next(w for w in package_wards(HANOI) if w.name == "Phường Hoàn Kiếm")
    ward = OrgUnit.objects.current().get(name="Phường Hoàn Kiếm", parent=hanoi)
    assert ward.code == ward.national_code == f"{int(package_ward.code):05d}" == "00070"
    assert (ward.kind, ward.path, ward.depth) == ("ward", "/01/00070/", 1)
    assert ward.valid_from == REFORM and ward.valid_to is None
    assert ward.source.startswith("vietnam-provinces ")


def test_second_run_creates_nothing(hanoi_import):
    units, links = OrgUnit.objects.count(), UnitSuccession.objects.count()
    entries = AuditEntry.objects.count()
    again = divisions_import(actor=None, province=HANOI)
    assert (again.created, again.updated, again.successions_created, again.successions_updated) == (
        0,
        0,
        0,
        0,
    )
    assert again.unchanged == hanoi_import.created
    assert again.counts() == hanoi_import.counts()
    assert (OrgUnit.objects.count(), UnitSuccession.objects.count()) == (units, links)
    assert AuditEntry.objects.count() == entries, "a run that changes nothing is not a write"


def test_old_ward_rolls_up_to_one_current_ward(hanoi_import):
    successors = defaultdict(list)
    for row in converter_rows(HANOI):
        if row["old"]["ward_code"]:
            successors[row["old"]["ward_code"]].append(row["new"]["ward_code"])
    split_code = next(code for code, new in successors.items() if len(new) > 1)
    merged_code = next(code for code, new in successors.items() if len(new) == 1)

    for code in (split_code, merged_code):
        old = OrgUnit.objects.get(code=f"H-W{code}")
        assert old.valid_to == REFORM and old.national_code == ""
        assert old.parent.kind == "district" and old.parent.parent.code == HANOI
        links = UnitSuccession.objects.filter(predecessor=old)
        assert links.count() == len(set(successors[code]))
        assert links.filter(primary=True).count() == 1
        assert {link.effective_date for link in links} == {REFORM}
        target = selectors.rollup_target(old)
        assert target.is_current and target.kind in CURRENT_WARD_KINDS
        assert target.parent.code == HANOI
        assert target == links.get(primary=True).successor
    assert set(
        UnitSuccession.objects.filter(predecessor__code=f"H-W{split_code}").values_list(
            "kind", flat=True
        )
    ) == {"split"}


def test_every_predecessor_has_exactly_one_primary_and_districts_go_to_the_province(hanoi_import):
    for old in OrgUnit.objects.filter(valid_to=REFORM):
        assert old.successions_out.filter(primary=True).count() == 1, old
    district = OrgUnit.objects.filter(kind="district", valid_to=REFORM).first()
    link = district.successions_out.get()
    assert (link.successor.code, link.kind) == (HANOI, "reorganize")
    current_ids = set(OrgUnit.objects.current().values_list("id", flat=True))
    assert set(selectors.rollup_map().values()) <= current_ids


def test_merged_province_is_closed_into_the_new_one(db):
    report = divisions_import(actor=None, province=BAC_NINH)
    want = expected(BAC_NINH)
    assert report.historical_provinces == want["historical_provinces"] == 2
    assert report.historical_wards == want["historical_wards"]
    assert report.successions == want["successions"]
    new = OrgUnit.objects.current().get(code=BAC_NINH)
    assert new.valid_from == REFORM, "a province formed by the reform starts on 1 July 2025"
    old_provinces = OrgUnit.objects.filter(kind="province", valid_to=REFORM)
    assert {p.name for p in old_provinces} == {"Tỉnh Bắc Giang", "Tỉnh Bắc Ninh"}
    for old in old_provinces:
        assert old.code.startswith("H-") and old.path == f"/{old.code}/"
        link = old.successions_out.get()
        assert (link.successor, link.kind, link.primary) == (new, "merge", True)
        assert link.legal_basis == "Nghị quyết 202/2025/QH15"
        assert selectors.rollup_target(old) == new


def test_import_appends_one_verifiable_audit_entry(hanoi_import):
    count, brk = audit_verify()
    assert brk is None and count >= 1
    entry = AuditEntry.objects.get(action="import")
    assert entry.seq == hanoi_import.audit_seq
    assert entry.object_type == "org.orgunit" and "vietnam-provinces" in entry.object_label
    assert entry.changes["wards"] == expected(HANOI)["wards"]
    assert entry.changes["created"] == hanoi_import.created
    assert not AuditEntry.objects.filter(action="create").exists(), "no per-row audit entries"


def test_no_history_loads_only_current_units(db):
    report = divisions_import(actor=None, province=HANOI, include_history=False)
    assert report.historical_wards == 0 and report.successions == 0
    assert not OrgUnit.objects.filter(valid_to__isnull=False).exists()
    assert OrgUnit.objects.current().count() == 1 + expected(HANOI)["wards"]


# -- living alongside other data ----------------------------------------------------------------


def test_existing_units_are_adopted_not_duplicated(tree):
    """Units created by hand (the shared `tree` fixture) with the national codes are reused."""
    report = divisions_import(actor=None, province=HANOI, include_history=False)
    assert report.updated == 3  # Hà Nội and two wards: source, short name, valid_from
    ward = OrgUnit.objects.get(pk=tree["ward_a"].pk)
    assert (ward.code, ward.valid_from, ward.short_name) == ("00070", REFORM, "Hoàn Kiếm")
    assert OrgUnit.objects.current().filter(code="00070").count() == 1
    assert OrgUnit.objects.filter(pk=tree["div_a"].pk, parent=ward).exists()


def test_conflicting_unit_aborts_without_writing(db):
    elsewhere = make_unit("99", "Đơn vị thử", "province")
    make_unit("00070", "Phòng trùng mã", "department", elsewhere)
    before = OrgUnit.objects.count()
    with pytest.raises(DivisionImportError, match="00070"):
        divisions_import(actor=None, province=HANOI)
    assert OrgUnit.objects.count() == before


def test_unknown_province_is_refused(db):
    with pytest.raises(DivisionImportError, match="99"):
        divisions_import(actor=None, province="99")


def test_person_without_org_manage_is_refused(db):
    nobody = make_user("nobody_import")
    with pytest.raises(PermissionDenied):
        divisions_import(actor=nobody, province=HANOI)
    assert not OrgUnit.objects.exists()


def test_command_prints_a_summary_and_fails_cleanly(db):
    out = io.StringIO()
    call_command("import_divisions", "--province", "1", stdout=out)
    text = out.getvalue()
    assert f"{expected(HANOI)['wards']} communes/wards" in text
    assert "Unmatched mapping rows: 0" in text
    out = io.StringIO()
    call_command("import_divisions", "--province", "01", stdout=out)
    assert "Units: created 0, updated 0" in out.getvalue()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_divisions", "--province", "99", stdout=io.StringIO())


# -- names --------------------------------------------------------------------------------------


def test_name_key_ignores_conventions_but_not_letters():
    assert name_key("Xã Thuận Hòa") == name_key("Xã Thuận Hoà")  # tone placement
    assert name_key("Phường Nguyễn Úy") == name_key("Phường Nguyễn Uý")
    assert name_key("Xã Ea H'Leo") == name_key("Xã Ea H\u2019leo")  # apostrophe, case
    assert name_key("Xã Chân Mây-Lăng Cô") == name_key("Xã  Chân Mây \u2013 Lăng Cô")
    assert name_key("Xã Phú Hựu") != name_key("Xã Phú Hữu")  # different communes
    assert name_key("Xã Hòa An") != name_key("Xã Hóa An")


# -- the whole country --------------------------------------------------------------------------


def test_full_country_import(db):
    started = time.monotonic()
    report = divisions_import(actor=None)
    seconds = time.monotonic() - started
    provinces, wards = list(Province.iter_all()), list(Ward.iter_all())
    assert report.provinces == len(provinces) == 34
    assert report.wards == len(wards) == 3321
    assert OrgUnit.objects.current().filter(kind="province").count() == 34
    assert OrgUnit.objects.current().filter(kind__in=CURRENT_WARD_KINDS).count() == 3321
    assert report.historical_provinces == len(DEFAULT_DATA["oldProvinces"]) - 11  # 11 unchanged
    assert report.unmatched_rows == 0
    closed = OrgUnit.objects.filter(valid_to=REFORM).count()
    assert closed == report.historical
    current_ids = set(OrgUnit.objects.current().values_list("id", flat=True))
    mapping = selectors.rollup_map()
    assert len(mapping) == closed and set(mapping.values()) <= current_ids
    assert audit_verify()[1] is None
    print(f"full import: {seconds:.1f} s, {report.created} units, {report.successions} links")
    assert seconds < 60
