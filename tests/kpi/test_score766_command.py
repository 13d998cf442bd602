"""`govqms score-766`. The app is not in INSTALLED_APPS yet, so the command object is called
directly (call_command accepts an instance) and its core function `score_766` is tested too."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from govqms.kpi.management.commands.score_766 import Command, score_766

from .test_score766 import BA_VI, EXAMPLE


def run(*args):
    out = io.StringIO()
    call_command(Command(), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, text, name="counts.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_table_for_the_example_file():
    out = run("--counts", str(EXAMPLE))
    lines = out.splitlines()
    assert lines[0].startswith("Bộ chỉ số 766 — portal-2026")
    assert lines[-1].startswith("TỔNG") and lines[-1].endswith("55.23 / 100.00")
    assert any(line.startswith("TTTT  Thanh toán trực tuyến") and "4.69 /  10.00" in line
               for line in lines)  # fmt: skip
    (sync,) = [line for line in lines if line.strip().startswith("DOSSIER_SYNC")]
    assert "859,324 / 859,324" in sync and "100.00%" in sync
    assert any("PAY_PROVISION" in line and "80%" in line for line in lines)
    assert any("AVG_DAYS" in line and "4.24 ngày" in line and "theo dõi" in line
               for line in lines)  # fmt: skip


def test_json_for_a_commune(tmp_path):
    path = write(tmp_path, json.dumps(BA_VI))
    data = json.loads(run("--counts", path, "--level", "commune", "--json"))
    assert data["level"] == "commune" and data["points"] == 69.43
    assert [g["points"] for g in data["groups"]] == [11.2, 19.48, 6.31, 5.14, 18.0, 9.3]


def test_options_reach_the_scoring(tmp_path):
    out = json.loads(
        run("--counts", str(EXAMPLE), "--json", "--threshold", "SO_HOA_GIAY_TO_GIAI_QUYET=80")
    )
    mdsh = next(g for g in out["groups"] if g["code"] == "MDSH")
    assert mdsh["points"] == 8.16  # 0.62 → 0.77
    assert out["options"]["thresholds"] == {"SO_HOA_GIAY_TO_GIAI_QUYET": 80.0}
    path = write(tmp_path, json.dumps(BA_VI))
    out = json.loads(run("--counts", path, "--level", "commune", "--no-petitions", "zero",
                         "--json"))  # fmt: skip
    assert out["points"] == 57.43  # 69.43 without the 12 petition points


def test_2022_scheme_needs_its_own_codes():
    with pytest.raises(CommandError, match="missing counts for ONLINE_FORMALITIES"):
        run("--counts", str(EXAMPLE), "--scheme", "decision766-2022")


def test_json_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, '{\n  "ON_TIME": {"value": 70},\n  "PAY_DOSSIERS": {"value": 7,}\n}')
    with pytest.raises(CommandError, match="invalid JSON at line 3, column"):
        run("--counts", path)


def test_unknown_and_missing_codes_are_named(tmp_path):
    with pytest.raises(CommandError, match="unknown indicator code 'ONTIME'"):
        score_766('{"ONTIME": {"value": 70}}')
    with pytest.raises(CommandError, match="missing counts for PUBLISH_ON_TIME, "):
        score_766('{"ON_TIME": {"value": 70}}')
    with pytest.raises(CommandError, match=r"DOSSIER_SYNC\.numerator: 1\.5"):
        score_766('{"DOSSIER_SYNC": {"numerator": 1.5, "denominator": 2}}')


def test_unreadable_file_and_bad_threshold(tmp_path):
    with pytest.raises(CommandError, match="--counts: cannot read"):
        run("--counts", str(tmp_path / "absent.json"))
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"_": "caf\xe9"}')
    with pytest.raises(CommandError, match="not UTF-8"):
        run("--counts", str(bad))
    with pytest.raises(CommandError, match="--threshold: expected CODE=PERCENT"):
        run("--counts", str(EXAMPLE), "--threshold", "80")
    with pytest.raises(CommandError, match="thresholds: unknown indicator code 'X'"):
        run("--counts", str(EXAMPLE), "--threshold", "X=none")


def test_example_file_is_documented():
    doc = (Path(EXAMPLE).parents[1] / "kpi.md").read_text(encoding="utf-8")
    assert "docs/examples/counts-766.json" in doc
    assert run("--counts", str(EXAMPLE)).strip() in doc
