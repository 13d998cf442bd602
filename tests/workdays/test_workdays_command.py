"""`govqms deadline` and `govqms calendar-seed`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from govqms.workdays import services

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_deadline_without_seeded_calendar_uses_seed_data():
    out = run("deadline", "--received", "2026-02-13T16:45", "--limit", "5wd")
    assert out.startswith("Hạn trả kết quả: 27/02/2026 16:30 (+0700)")
    assert "bắt đầu tính từ 07:30 ngày 23/02/2026 (nghỉ Tết Nguyên đán 14\u201322/02)" in out


def test_deadline_json_with_pause_and_seeded_calendar():
    services.calendar_seed(actor=None, years=[2026])
    out = run(
        "deadline",
        "--received",
        "2026-03-02T09:00+07:00",
        "--limit",
        "4wh",
        "--pause",
        "2026-03-02T10:00/2026-03-03T10:00",
        "--json",
    )
    data = json.loads(out)
    assert data["due"] == "2026-03-03T14:00:00+07:00"  # 4 h + 8 h paused
    assert data["paused_working_seconds"] == 8 * 3600
    assert [s["kind"] for s in data["steps"]][-1] == "due"


def test_deadline_calendar_days_and_naive_received_in_vietnam_time():
    data = json.loads(run("deadline", "--received", "2026-02-02 10:00", "--limit", "12d", "--json"))
    assert data["received"] == "2026-02-02T10:00:00+07:00"
    assert data["due"] == "2026-02-23T16:30:00+07:00"


def test_deadline_with_unit_hours(tree):
    import datetime as dt

    for wd in range(5):
        services.office_hours_set(
            actor=None,
            unit=tree["hanoi"],
            weekday=wd,
            morning=(dt.time(8), dt.time(12)),
            afternoon=(dt.time(13, 30), dt.time(17, 30)),
        )
    data = json.loads(
        run(
            "deadline",
            "--received",
            "2026-03-02T17:00",
            "--limit",
            "1wh",
            "--unit",
            "00070",
            "--json",
        )
    )
    assert data["due"] == "2026-03-03T08:30:00+07:00"  # 17:00-17:30, then 08:00-08:30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "13/02/2026", "--limit", "5wd"], "--received"),
        (["--received", "2026-02-13T16:45", "--limit", "5 weeks"], "--limit"),
        (["--received", "2026-02-13T16:45", "--limit", "5wd", "--pause", "2026-02-13"], "--pause"),
        (
            [
                "--received",
                "2026-02-13T16:45",
                "--limit",
                "5wd",
                "--pause",
                "2026-02-14T10:00/2026-02-13T10:00",
            ],
            "--pause",
        ),
        (["--received", "2026-02-13T16:45", "--limit", "5wd", "--unit", "NOPE"], "--unit"),
        (["--received", "2026-02-13T16:45", "--limit", "1.5d"], "--limit"),
    ],
)
def test_deadline_bad_input_names_the_argument(args, message):
    with pytest.raises(CommandError, match=message):
        run("deadline", *args)


def test_calendar_seed_command():
    out = run("calendar_seed", "--years", "2025-2026")
    assert out.startswith("VN: ")
    assert "0 created" in run("calendar_seed", "--years", "2025,2026")
    with pytest.raises(CommandError, match="--years"):
        run("calendar_seed", "--years", "twenty")
