"""The transcribed official calendar and its agreement with the `holidays` package."""

import datetime as dt

from govqms.workdays import seed


def test_official_rows_are_well_formed():
    for day, kind, name, basis in seed.OFFICIAL_VN:
        assert kind in seed.KINDS
        assert name and basis, day
        if kind == seed.WORKING_DAY_SWAP:
            assert day.weekday() == 5, f"{day} is worked but is not a Saturday"
        else:
            assert day.weekday() < 5, f"{day} is off but already a weekend day"
    dates = [row[0] for row in seed.OFFICIAL_VN]
    assert len(dates) == len(set(dates))


def test_each_swap_has_its_saturday_in_the_same_document():
    offs = [r for r in seed.OFFICIAL_VN if r[1] == seed.DAY_OFF_SWAP]
    worked = [r for r in seed.OFFICIAL_VN if r[1] == seed.WORKING_DAY_SWAP]
    assert len(offs) == len(worked) == 4
    for day, _kind, name, basis in offs:
        saturday = next(w for w in worked if w[3] == basis and w[0].year == day.year)
        assert saturday[0].strftime("%d/%m/%Y") in name


def test_package_agrees_with_documents_except_known_gaps():
    # holidays 0.109 lacks the 2026 New Year swap (CV 12729/VPCP-KGVX). Any other difference
    # means the package changed: check the documents before accepting it.
    assert seed.vn_discrepancies(range(2024, 2027)) == [
        (dt.date(2026, 1, 2), "only in the official documents"),
        (dt.date(2026, 1, 10), "working Saturday only in the official documents"),
    ]


def test_tet_2026_is_nine_days_off():
    cal = seed.vn_calendar([2026])
    off = [dt.date(2026, 2, 14) + dt.timedelta(days=i) for i in range(9)]
    assert not any(cal.is_working_day(d) for d in off)
    assert cal.is_working_day(dt.date(2026, 2, 13)) and cal.is_working_day(dt.date(2026, 2, 23))


def test_years_without_documents_use_the_package_and_say_so():
    days = {d.date: d for d in seed.vn_calendar_days([2027])}
    assert days[dt.date(2027, 4, 16)].name.startswith(seed.HUNG)
    assert days[dt.date(2027, 5, 3)].kind == seed.HOLIDAY  # 1/5 on Saturday -> Monday off
    assert all(d.source == seed.SOURCE_PACKAGE for d in days.values())
    assert "2027" in seed.vn_calendar([2026, 2027]).name
    assert "2027" not in seed.vn_calendar([2026]).name


def test_names_group_tet_under_one_occasion():
    names = {d.name.split(" (")[0] for d in seed.vn_calendar_days([2027]) if d.date.month == 2}
    assert names == {seed.TET}
