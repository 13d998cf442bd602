"""The Decision 766 scoreboard: real published scores, hand-computed groups, options, errors.

The real cases are the scores the national portal published on 10/10/2026 for UBND Thành phố
Hà Nội (province, 55.23) and UBND xã Ba Vì (commune, 69.43), as captured in
hoang31201/766-HaNoi history/quality/2026-10-10.json; docs/examples/counts-766.json holds the
Hà Nội counts. Every group total, and every indicator score the portal shows, must come out
exactly.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from govqms.kpi.items766 import DECISION_2022, ITEMS, PORTAL_2026, SCHEMES
from govqms.kpi.score766 import CountsError, Options, load_counts, score

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "counts-766.json"


def hanoi():
    return load_counts(EXAMPLE.read_text(encoding="utf-8"))


BA_VI = {
    # Publicity counts are the province's (communes do not publish procedures).
    "PUBLISH_ON_TIME": {"numerator": 0, "denominator": 79},
    "PUBLIC_UPDATE_ON_TIME": {"numerator": 65, "denominator": 80},
    "PUBLIC_CONTENT_FULL": {"numerator": 78, "denominator": 80},
    "DOSSIER_SYNC": {"numerator": 3801, "denominator": 3801},
    "ON_TIME": {"numerator": 4358, "denominator": 4474},
    "AVG_DAYS": {"value": 1.62},
    "FULL_ONLINE_DOSSIERS": {"value": 52.58},
    "FULL": {"numerator": 0, "denominator": 0},
    "ONLINE_DOSSIERS": {"numerator": 3294, "denominator": 4474},
    "PAY_DOSSIERS": {"numerator": 2558, "denominator": 3292},
    "PAY_FORMALITIES": {"numerator": 3, "denominator": 31},
    "PAY_PROVISION": {"numerator": 3, "denominator": 31},
    "DOSSIER_RECEIVING_SATISFACTION": {"numerator": 4357, "denominator": 4474},
    "PETITION_PROCESSING_ON_TIME": {"numerator": 0, "denominator": 0},
    "PETITION_HANDLING_SATISFACTION": {"numerator": 0, "denominator": 0},
    "ORIGINAL_RESULT_AVAILABLE": {"numerator": 4172, "denominator": 4474},
    "SO_HOA_GIAY_TO_GIAI_QUYET": {"numerator": 1032, "denominator": 4474},
    "REUSED_DIGITIZED_DATA": {"numerator": 590, "denominator": 4474},
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": {"numerator": 4, "denominator": 4474},
    "CITIZEN_DATA_CONNECTED_DOSSIER": {"numerator": 703, "denominator": 4474},
    "CITIZEN_DATA_CONNECTED_FORMALITY": {"numerator": 29, "denominator": 399},
    "ELECTRONIC_CERTIFIED_COPY": {"numerator": None, "denominator": None, "value": 100},
}


def required(scheme):
    return [p.code for g in SCHEMES[scheme].groups for p in g.placements]


def perfect(scheme=PORTAL_2026, **overrides):
    counts = {code: {"numerator": 1, "denominator": 1} for code in required(scheme)}
    return counts | overrides


def points(board, code):
    return float(board.indicator(code).points)


def test_layouts_add_up():
    for scheme in SCHEMES.values():
        assert scheme.max_points == 100
        for group in scheme.groups:
            assert sum(p.max_points for p in group.placements) == group.max_points
            assert all(p.code in ITEMS for p in group.placements)
            assert all(c in ITEMS for c in group.tracked)
    layout = {s: [(g.code, int(g.max_points)) for g in SCHEMES[s].groups] for s in SCHEMES}
    assert layout[DECISION_2022] == [
        ("CKMB", 18), ("TDGQ", 20), ("MDSH", 22), ("CCDVTT", 22), ("MDHL", 18)
    ]  # fmt: skip
    assert layout[PORTAL_2026] == [
        ("CKMB", 18), ("TDGQ", 20), ("CLGQ", 12), ("TTTT", 10), ("MDHL", 18), ("MDSH", 22)
    ]  # fmt: skip


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("level", ["province", "commune"])
def test_perfect_counts_score_100(scheme, level):
    board = score(perfect(scheme), Options(scheme=scheme, level=level))
    assert board.points == board.max_points == 100


def test_hanoi_province_reproduces_the_portal():
    board = score(hanoi())
    groups = {g.code: float(g.points) for g in board.groups}
    assert groups == {
        "CKMB": 11.2, "TDGQ": 14.81, "CLGQ": 9.23, "TTTT": 4.69, "MDHL": 7.29, "MDSH": 8.01
    }  # fmt: skip
    assert board.points == Decimal("55.23") and board.max_points == 100
    published = {
        "PUBLISH_ON_TIME": 0, "PUBLIC_UPDATE_ON_TIME": 3.25, "PUBLIC_CONTENT_FULL": 1.95,
        "DOSSIER_SYNC": 6, "DOSSIER_RECEIVING_SATISFACTION": 4.91,
        "PETITION_PROCESSING_ON_TIME": 1.33, "PETITION_HANDLING_SATISFACTION": 1.05,
        "ORIGINAL_RESULT_AVAILABLE": 3.02, "SO_HOA_GIAY_TO_GIAI_QUYET": 0.62,
        "REUSED_DIGITIZED_DATA": 0.81, "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": 0.03,
        "CITIZEN_DATA_CONNECTED_DOSSIER": 0.78, "CITIZEN_DATA_CONNECTED_FORMALITY": 0.75,
        "ELECTRONIC_CERTIFIED_COPY": 2,
    }  # fmt: skip
    assert {code: points(board, code) for code in published} == published
    # The portal shows these ratios (not scores); the scores follow from them.
    assert float(board.indicator("PAY_PROVISION").value) == 21.15
    assert float(board.indicator("AVG_DAYS").value) == 4.24
    assert board.indicator("HAS_ONLINE").placement is None  # tracked in 2026


def test_ba_vi_commune_reproduces_the_portal():
    board = score(BA_VI, Options(level="commune"))
    groups = {g.code: float(g.points) for g in board.groups}
    assert groups == {
        "CKMB": 11.2, "TDGQ": 19.48, "CLGQ": 6.31, "TTTT": 5.14, "MDHL": 18, "MDSH": 9.3
    }  # fmt: skip
    assert board.points == Decimal("69.43")
    assert points(board, "ORIGINAL_RESULT_AVAILABLE") == 5.59  # from the unrounded 93.2499…%
    assert points(board, "CITIZEN_DATA_CONNECTED_FORMALITY") == 0.15
    assert board.indicator("PETITION_PROCESSING_ON_TIME").scoring == "no-petitions-full"
    assert board.indicator("PETITION_PROCESSING_ON_TIME").value is None


def test_ckmb_by_hand():
    counts = perfect(
        PUBLISH_ON_TIME={"numerator": 3, "denominator": 4},  # 75 % × 6 = 4.50
        PUBLIC_UPDATE_ON_TIME={"numerator": 1, "denominator": 3},  # 33.33 % × 4 = 1.333 → 1.33
        PUBLIC_CONTENT_FULL={"numerator": 2, "denominator": 3},  # 66.67 % × 2 = 1.333 → 1.33
        DOSSIER_SYNC={"synced": 90, "national_report_total": 100, "portal_total": 95},  # 5.40
    )
    board = score(counts)
    assert float(board.group("CKMB").points) == 4.5 + 1.33 + 1.33 + 5.4
    assert board.indicator("DOSSIER_SYNC").entry.denominator == 100


def test_tdgq_by_hand():
    counts = perfect(ON_TIME={"finished_on_time": 70, "open_within_limit": 10, "total": 100})
    assert float(score(counts).group("TDGQ").points) == 16.0  # 80 % × 20
    counts = perfect(ON_TIME={"numerator": 2, "denominator": 3})  # 66.666…% × 20 = 13.333
    assert points(score(counts), "ON_TIME") == 13.33


def test_clgq_and_tttt_by_hand():
    counts = perfect(
        FULL_ONLINE_DOSSIERS={"numerator": 1, "denominator": 8},  # 12.5 % × 12 = 1.50
        PAY_FORMALITIES={"numerator": 40, "denominator": 100},  # 40/80 × 2 = 1.00
        PAY_PROVISION={"numerator": 90, "denominator": 100},  # above 80 %: 2.00
        PAY_DOSSIERS={"numerator": 25, "denominator": 100},  # 25 % × 6 = 1.50
    )
    board = score(counts)
    assert float(board.group("CLGQ").points) == 1.5
    assert float(board.group("TTTT").points) == 4.5
    assert board.indicator("PAY_PROVISION").scoring == "threshold"


def test_mdhl_by_hand():
    counts = perfect(
        PETITION_PROCESSING_ON_TIME={"numerator": 3, "denominator": 4},  # 4.50
        PETITION_HANDLING_SATISFACTION={"total": 10, "dissatisfied_or_late": 4},  # 60 % → 3.60
        DOSSIER_RECEIVING_SATISFACTION={"total": 100, "late": 15, "dissatisfied": 10},  # 75/90
    )
    board = score(counts)
    assert points(board, "DOSSIER_RECEIVING_SATISFACTION") == 5.0
    assert float(board.group("MDHL").points) == 4.5 + 3.6 + 5.0
    # The text counts a dossier that is both late and disliked once.
    counts["DOSSIER_RECEIVING_SATISFACTION"] |= {"late_and_dissatisfied": 5}
    assert points(score(counts), "DOSSIER_RECEIVING_SATISFACTION") == 5.33  # 80/90 × 6


def test_mdsh_by_hand_and_the_digitization_threshold():
    counts = perfect(
        ORIGINAL_RESULT_AVAILABLE={"numerator": 1, "denominator": 2},  # 3.00
        SO_HOA_GIAY_TO_GIAI_QUYET={"numerator": 40, "denominator": 100},  # 1.60 | 40/80 → 2.00
        ELECTRONIC_CERTIFIED_COPY={"numerator": 0, "denominator": 5},  # 0
        REUSED_DIGITIZED_DATA={"numerator": 60, "denominator": 100},  # 60/80 × 2 = 1.50
        SYNCED_WITH_DVCQG_PERSONAL_STORAGE={"numerator": 1, "denominator": 4},  # 1.00
        CITIZEN_DATA_CONNECTED_DOSSIER={"numerator": 1, "denominator": 2},  # 1.00
        CITIZEN_DATA_CONNECTED_FORMALITY={"numerator": 1, "denominator": 1},  # 2.00
    )
    assert float(score(counts).group("MDSH").points) == 3 + 1.6 + 0 + 1.5 + 1 + 1 + 2
    board = score(perfect(DECISION_2022) | counts, Options(scheme=DECISION_2022))
    assert float(board.group("MDSH").points) == 3 + 2.0 + 0 + 1.5 + 1 + 1 + 2
    # decision766.md: on Hà Nội's numbers the 80 % threshold would give 0.77 instead of 0.62.
    board = score(hanoi(), Options(thresholds={"SO_HOA_GIAY_TO_GIAI_QUYET": 80}))
    assert points(board, "SO_HOA_GIAY_TO_GIAI_QUYET") == 0.77


def test_2022_online_services_by_hand():
    counts = perfect(
        DECISION_2022,
        ONLINE_FORMALITIES={"numerator": 60, "denominator": 100},  # 60/80 × 2 = 1.50
        HAS_ONLINE={"numerator": 1, "denominator": 2},  # 50 % × 4 = 2.00
        ONLINE_DOSSIERS={"numerator": 30, "denominator": 100},  # 30 % × 90 % = 27 %/50 × 6
        DOSSIER_SYNC={"numerator": 90, "denominator": 100},
        PAY_FORMALITIES={"numerator": 1, "denominator": 1},
        PAY_PROVISION={"numerator": 1, "denominator": 1},
        PAY_DOSSIERS={"numerator": 1, "denominator": 2},  # 3.00
    )
    board = score(counts, Options(scheme=DECISION_2022))
    assert points(board, "ONLINE_DOSSIERS") == 3.24
    assert board.indicator("ONLINE_DOSSIERS").scoring == "threshold×sync"
    assert float(board.group("CCDVTT").points) == 1.5 + 2 + 3.24 + 2 + 2 + 3
    no_sync = Options(scheme=DECISION_2022, online_share_times_sync_rate=False)
    assert points(score(counts, no_sync), "ONLINE_DOSSIERS") == 3.6


def test_commune_not_applicable_policies():
    province_only = ["FULL_ONLINE_DOSSIERS", "CITIZEN_DATA_CONNECTED_DOSSIER",
                     "CITIZEN_DATA_CONNECTED_FORMALITY"]  # fmt: skip
    counts = {k: v for k, v in perfect().items() if k not in province_only}
    with pytest.raises(CountsError, match="missing counts for FULL_ONLINE_DOSSIERS, CITIZEN"):
        score(counts, Options(level="commune"))
    full = score(counts, Options(level="commune", commune_not_applicable="full"))
    assert full.points == full.max_points == 100
    assert full.indicator("FULL_ONLINE_DOSSIERS").scoring == "not-applicable-full"
    excluded = score(counts, Options(level="commune", commune_not_applicable="exclude"))
    assert excluded.points == excluded.max_points == 84
    assert float(excluded.group("CLGQ").max_points) == 0
    with pytest.raises(CountsError, match="missing counts for FULL_ONLINE_DOSSIERS"):
        score(counts, Options(level="province", commune_not_applicable="full"))


def test_no_petitions_policies():
    counts = perfect(
        PETITION_PROCESSING_ON_TIME={"numerator": 0, "denominator": 0},
        PETITION_HANDLING_SATISFACTION={"numerator": 0, "denominator": 0},
        DOSSIER_RECEIVING_SATISFACTION={"numerator": 81, "denominator": 100},  # 81/90
    )
    full = score(counts).group("MDHL")
    assert [float(i.points) for i in full.indicators] == [6, 6, 5.4]
    zero = score(counts, Options(no_petitions="zero")).group("MDHL")
    assert [float(i.points) for i in zero.indicators] == [0, 0, 5.4]
    split = score(counts, Options(no_petitions="split")).group("MDHL")
    assert [(float(i.points), float(i.max_points)) for i in split.indicators] == [
        (9, 9), (0, 0), (8.1, 9)
    ]  # fmt: skip
    assert split.max_points == 18


def test_empty_denominator_policy_and_rounding_option():
    counts = perfect(PAY_DOSSIERS={"numerator": 0, "denominator": 0})
    assert points(score(counts), "PAY_DOSSIERS") == 0
    assert score(counts).indicator("PAY_DOSSIERS").value is None
    assert points(score(counts, Options(empty_denominator="full")), "PAY_DOSSIERS") == 6
    board = score(BA_VI, Options(level="commune", round_ratio_first=True))
    assert points(board, "ORIGINAL_RESULT_AVAILABLE") == 5.6  # 93.25 % × 6 = 5.595 → 5.60


def test_breakdown_is_json():
    data = json.loads(json.dumps(score(hanoi()).to_dict(), allow_nan=False, ensure_ascii=False))
    assert data["scheme"] == PORTAL_2026 and data["points"] == 55.23 and data["max_points"] == 100
    ckmb = data["groups"][0]
    assert ckmb["code"] == "CKMB" and ckmb["percent"] == 62.22
    update = ckmb["indicators"][1]
    assert update["code"] == "PUBLIC_UPDATE_ON_TIME"
    assert update["counts"] == {"given": {"numerator": 65, "denominator": 80},
                                "numerator": 65, "denominator": 80}  # fmt: skip
    assert update["value"] == 81.25 and update["points"] == 3.25 and update["max_points"] == 4
    assert update["threshold"] is None and update["points_rule"] == "điểm = tối đa × tỷ lệ"
    assert "×" in update["formula"] and update["source"]
    assert data["options"]["no_petitions"] == "full"


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"NOPE": {"numerator": 1, "denominator": 1}}, "unknown indicator code 'NOPE'"),
        ({"ONLINE_FORMALITIES": {"value": 1}}, "not part of this scheme"),
        ({"ON_TIME": {"numerator": 5, "denominator": 4}}, "ON_TIME: numerator 5 is larger"),
        ({"ON_TIME": {"numerator": -1, "denominator": 4}}, "ON_TIME.numerator: -1"),
        ({"ON_TIME": {"numerator": "3", "denominator": 4}}, "ON_TIME.numerator: '3'"),
        ({"ON_TIME": {"numerator": 3}}, r"ON_TIME: keys \['numerator'\]"),
        ({"ON_TIME": {"numerator": 3, "denominator": 4, "x": 1}}, "unexpected key 'x'"),
        ({"ON_TIME": {"value": 101}}, "above 100"),
        ({"ON_TIME": {"value": True}}, "ON_TIME.value: True is not a number"),
        ({"ON_TIME": [1, 2]}, "ON_TIME: expected an object"),
        ({"ON_TIME": {}}, r"ON_TIME: keys \[\]"),
    ],
)
def test_bad_counts_name_the_code(counts, message):
    with pytest.raises(CountsError, match=message):
        score(perfect() | counts)


def test_missing_counts_name_every_code():
    counts = perfect()
    del counts["ON_TIME"], counts["PAY_DOSSIERS"]
    with pytest.raises(CountsError, match="missing counts for ON_TIME, PAY_DOSSIERS") as info:
        score(counts)
    assert info.value.code == "ON_TIME"


def test_load_counts_errors():
    with pytest.raises(CountsError, match="line 3, column"):
        load_counts('{\n  "ON_TIME": {"value": 1},\n  "X": }\n')
    with pytest.raises(CountsError, match="'ON_TIME' appears twice"):
        load_counts('{"ON_TIME": {"value": 1}, "ON_TIME": {"value": 2}}')
    with pytest.raises(CountsError, match="JSON object"):
        load_counts("[1, 2]")
    assert load_counts('{"_note": "ignored"}') == {"_note": "ignored"}


def test_bad_options():
    with pytest.raises(CountsError, match="scheme: 'x'"):
        Options(scheme="x")
    with pytest.raises(CountsError, match="level: 'district'"):
        Options(level="district")
    with pytest.raises(CountsError, match="thresholds: unknown indicator code 'X'"):
        Options(thresholds={"X": 10})
    with pytest.raises(CountsError, match=r"must be in \(0, 100\]"):
        Options(thresholds={"ON_TIME": 0})
