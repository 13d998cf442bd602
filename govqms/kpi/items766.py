"""The Decision 766/QĐ-TTg scoreboard as data: indicators, groups, and the two layouts.

Pure data, read by `govqms.kpi.score766`. Every value cites where it comes from; the sources
are summarised in ../shared/data/vn/decision766.md and discussed in docs/kpi.md:

- (A) the text of Decision 766/QĐ-TTg (2022) as quoted by public pages — only the group maxima,
  some formulas, and the points of 1.2 (4), 2.1 (20) and 5.4 (6) are known from it;
- (C) the scoreboard the national portal (Cổng DVCQG) runs in 2026: the METRICS sheet of
  "Công thức 766.xlsx" and the portal's published scores (Hà Nội, 10/2026), which the layout
  "portal-2026" reproduces;
- (B) a provincial implementation (Thanh Hoá, MIT) for the weights of the 2022 online-service
  group that (C) no longer scores.

Codes: the national portal's API codes where decision766.md names them. Codes marked
`CODE_OBSERVED` appear in the portal's published data (hoang31201/766-HaNoi, 2026-10-10) but
not in decision766.md; codes marked `CODE_GOVQMS` are defined here because no source gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

CODE_PORTAL = "national portal API code named in decision766.md"
CODE_OBSERVED = (
    "national portal API code seen in the portal's published data (not in decision766.md)"
)
CODE_GOVQMS = "defined by GovQMS: no source names a code for this indicator"

PROVINCE, COMMUNE = "province", "commune"
LEVELS = (PROVINCE, COMMUNE)

PORTAL_2026 = "portal-2026"
DECISION_2022 = "decision766-2022"

PERCENT, DAYS, DOSSIERS = "%", "days", "dossiers"

SRC_MD = "../shared/data/vn/decision766.md"
SRC_A = "QĐ 766/QĐ-TTg (2022), Phụ lục"
SRC_C = "Cổng DVCQG 2026: METRICS, 'Công thức 766.xlsx'"
SRC_B = "Triển khai Thanh Hoá (HuanVu201/DichVuCong_KhoaLuan_PASETO, MIT)"
SRC_HN = "dữ liệu điểm Cổng DVCQG của Hà Nội 10/10/2026 (hoang31201/766-HaNoi)"


@dataclass(frozen=True)
class Form:
    """A detailed way to give an indicator's counts (besides numerator/denominator or value)."""

    keys: tuple[str, ...]
    numerator: Callable[[Mapping[str, int]], int]
    denominator: Callable[[Mapping[str, int]], int]
    text: str
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    code: str
    ref: str  # numbering of decision766.md (§2)
    name_vi: str
    name_en: str
    numerator: str
    denominator: str
    source: str
    code_origin: str = CODE_PORTAL
    note: str = ""
    unit: str = PERCENT
    province_only: bool = False  # METRICS scope "Tỉnh" (not "Tỉnh, xã")
    forms: tuple[Form, ...] = ()

    @property
    def formula(self) -> str:
        if self.unit == PERCENT:
            return f"({self.numerator}) / ({self.denominator}) × 100"
        if self.unit == DAYS:
            return f"({self.numerator}) / ({self.denominator})"
        return self.numerator


@dataclass(frozen=True)
class Placement:
    """An indicator scored in a layout: its maximum points and threshold (percent, or None)."""

    code: str
    max_points: Decimal
    threshold: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class Group:
    code: str
    name_vi: str
    name_en: str
    max_points: Decimal
    placements: tuple[Placement, ...]
    tracked: tuple[str, ...] = ()  # accepted, reported, not scored
    source: str = ""


@dataclass(frozen=True)
class Scheme:
    name: str
    title: str
    groups: tuple[Group, ...]
    note: str = ""

    @property
    def max_points(self) -> Decimal:
        return sum((g.max_points for g in self.groups), Decimal(0))

    def codes(self) -> set[str]:
        return {p.code for g in self.groups for p in g.placements} | {
            c for g in self.groups for c in g.tracked
        }


def _items(*items: Item) -> dict[str, Item]:
    return {item.code: item for item in items}


ITEMS: dict[str, Item] = _items(
    # 1. Công khai, minh bạch
    Item(
        "PUBLISH_ON_TIME",
        "1.1",
        "Tỷ lệ TTHC công bố đúng hạn",
        "Share of procedures published on time",
        "Số TTHC công bố đúng hạn",
        "Tổng số TTHC phải công bố trong kỳ",
        f"{SRC_A}, 1.1 (công thức: aita.gov.vn); 6 điểm: {SRC_C} dòng 1",
        note="Đúng hạn: QĐ công bố ban hành trong thời hạn Điều 15 NĐ 63/2010 (sđ): bộ ≤ ngày hiệu "
        "lực − 20 ngày làm việc, tỉnh ≤ ngày hiệu lực − 5 ngày làm việc; một TTHC trong nhiều QĐ "
        "tính một lần, quá hạn một lần thì cả kỳ quá hạn. Cấp xã: dùng số của tỉnh (như Cổng).",
    ),
    Item(
        "PUBLIC_UPDATE_ON_TIME",
        "1.2",
        "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
        "Share of procedures updated and made public on time",
        "Số TTHC công khai đúng hạn trên CSDLQG về TTHC",
        "Tổng số TTHC phải cập nhật, công khai trong kỳ",
        f"{SRC_A}, 1.2 (4/18 điểm: baocaotaichinh.vn); {SRC_C} dòng 2",
        note="Đúng hạn: bộ ≤ 10, tỉnh ≤ 5 ngày làm việc kể từ ngày QĐ công bố. "
        "Cấp xã: số của tỉnh.",
    ),
    Item(
        "PUBLIC_CONTENT_FULL",
        "1.3",
        "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành",
        "Share of procedures published with all their constituent parts",
        "Số TTHC công khai đủ tên, trình tự, cách thức, hồ sơ, thời hạn, đối tượng, cơ quan",
        "Tổng số TTHC đã công khai trên CSDLQG về TTHC",
        f"k.2 Đ.8 NĐ 63/2010; 2 điểm: {SRC_C} dòng 3",
        note="Cấp xã: số của tỉnh.",
    ),
    Item(
        "DOSSIER_SYNC",
        "1.4",
        "Tỷ lệ hồ sơ đồng bộ trạng thái lên Cổng DVCQG",
        "Share of dossiers whose status is synced to the national portal in real time",
        "Số hồ sơ đồng bộ đúng hạn thông tin tiến trình tiếp nhận, giải quyết",
        "Tổng số hồ sơ tiếp nhận, đang giải quyết hoặc trả kết quả trong kỳ "
        "(= max(số báo cáo quốc gia, số trên Cổng DVCQG))",
        f"6 điểm: {SRC_C} dòng 4",
        note="Khi mẫu số bằng 0, Cổng lấy số năm trước /12 hoặc /4: GovQMS không tự suy, người "
        "dùng nhập mẫu số.",
        forms=(
            Form(
                ("synced", "national_report_total", "portal_total"),
                lambda c: c["synced"],
                lambda c: max(c["national_report_total"], c["portal_total"]),
                "synced / max(national_report_total, portal_total)",
            ),
        ),
    ),
    # 2. Tiến độ, kết quả giải quyết
    Item(
        "ON_TIME",
        "2.1",
        "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn (gồm đang xử lý trong hạn)",
        "Share of dossiers processed early or on time (open ones within their limit included)",
        "Hồ sơ đã xử lý trước hạn, đúng hạn + hồ sơ đang xử lý trong hạn",
        "Tổng số hồ sơ tiếp nhận và xử lý trong kỳ",
        f"{SRC_A}, 2.1 (tối đa 20 điểm: baocaotaichinh.vn); {SRC_C} dòng 5",
        note="Đúng hạn: ngày kết thúc ≤ ngày hẹn trả, trừ thời gian chờ bổ sung; yêu cầu bổ sung "
        "quá một lần là quá hạn; không có ngày hẹn thì so thời hạn tối đa của TTHC.",
        forms=(
            Form(
                ("finished_on_time", "open_within_limit", "total"),
                lambda c: c["finished_on_time"] + c["open_within_limit"],
                lambda c: c["total"],
                "(finished_on_time + open_within_limit) / total",
            ),
        ),
    ),
    Item(
        "AVG_DAYS",
        "2.2",
        "Thời gian giải quyết TTHC trung bình",
        "Average processing time",
        "Tổng thời gian giải quyết các hồ sơ đã xong",
        "Số hồ sơ đã xong",
        f"{SRC_C}: theo dõi, không có điểm riêng",
        unit=DAYS,
        note="Đơn vị theo đơn vị thời hạn của TTHC; Cổng hiển thị 'ngày'.",
    ),
    Item(
        "RECEIVED",
        "2.x",
        "Tổng hồ sơ tiếp nhận",
        "Dossiers received",
        "Số hồ sơ tiếp nhận trong kỳ",
        "",
        f"{SRC_HN} (nhóm TDGQ, theo dõi)",
        code_origin=CODE_OBSERVED,
        unit=DOSSIERS,
    ),
    Item(
        "COMPLETED",
        "2.x",
        "Hồ sơ đã hoàn thành",
        "Dossiers completed",
        "Số hồ sơ đã hoàn thành trong kỳ",
        "",
        f"{SRC_HN} (nhóm TDGQ, theo dõi)",
        code_origin=CODE_OBSERVED,
        unit=DOSSIERS,
    ),
    # 3. Cung cấp dịch vụ trực tuyến / Dịch vụ công trực tuyến + Thanh toán trực tuyến
    Item(
        "FULL_ONLINE_DOSSIERS",
        "C-6",
        "Tỷ lệ hồ sơ DVCTT toàn trình trên tổng hồ sơ TTHC đủ điều kiện toàn trình",
        "Share of fully-online dossiers among dossiers of procedures eligible for it",
        "Tổng số hồ sơ trực tuyến toàn trình",
        "Tổng số hồ sơ được tiếp nhận của các TTHC đủ điều kiện DVCTT toàn trình",
        f"12 điểm: {SRC_C} dòng 6 (phạm vi: Tỉnh)",
        code_origin=CODE_GOVQMS,
        province_only=True,
        note="Cổng không công bố tử/mẫu số của dòng này (chỉ điểm nhóm CLGQ): nhập 'value' = tỷ lệ "
        "nhóm (điểm nhóm / 12 × 100) để đối chiếu.",
    ),
    Item(
        "ONLINE_FORMALITIES",
        "3.1",
        "Tỷ lệ TTHC cung cấp DVCTT",
        "Share of procedures offered as online public services",
        "Số TTHC có DVCTT một phần hoặc toàn trình (tính mức cao nhất)",
        "Tổng số TTHC thuộc thẩm quyền",
        f"{SRC_B} (2 điểm, ngưỡng 80%); ngưỡng 80%: tài liệu hệ thống (C)",
        code_origin=CODE_GOVQMS,
    ),
    Item(
        "HAS_ONLINE",
        "3.2",
        "Tỷ lệ DVCTT có phát sinh hồ sơ trực tuyến",
        "Share of online services that received online dossiers",
        "Số DVC có hồ sơ tiếp nhận trực tuyến",
        "Số DVC của TTHC",
        f"{SRC_B} (4 điểm, tuyến tính); mã: {SRC_HN}",
        code_origin=CODE_OBSERVED,
    ),
    Item(
        "ONLINE_DOSSIERS",
        "3.3",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        "Share of dossiers filed online",
        "Số hồ sơ tiếp nhận trực tuyến có ngày tiếp nhận trong kỳ",
        "Tổng số hồ sơ tiếp nhận trong kỳ",
        f"{SRC_B} (6 điểm, ngưỡng 50%); công thức × tỷ lệ đồng bộ: tài liệu hệ thống (C); "
        f"mã: {SRC_HN}",
        code_origin=CODE_OBSERVED,
        note="Theo tài liệu hệ thống, tỷ lệ được nhân với tỷ lệ đồng bộ (DOSSIER_SYNC) — tuỳ chọn "
        "online_share_times_sync_rate; hồ sơ trực tuyến của TTHC trả kết quả giấy phải có kết quả "
        "điện tử.",
    ),
    Item(
        "FULL",
        "C-7",
        "Tỷ lệ TTHC cung cấp DVCTT toàn trình",
        "Share of eligible procedures offered fully online",
        "Số TTHC đã cung cấp DVCTT toàn trình trên Cổng DVCQG",
        "Số TTHC đủ điều kiện DVCTT toàn trình khai báo trên CSDLQG về TTHC",
        f"{SRC_C} dòng 7 (không có điểm); mã: {SRC_HN}",
        code_origin=CODE_OBSERVED,
    ),
    Item(
        "ONLINE_ON_TIME",
        "C-x",
        "Tỷ lệ hồ sơ trực tuyến giải quyết đúng hạn",
        "Share of online dossiers processed on time",
        "Số hồ sơ trực tuyến giải quyết đúng hạn",
        "Số hồ sơ trực tuyến",
        f"{SRC_HN} (nhóm CLGQ, theo dõi)",
        code_origin=CODE_OBSERVED,
    ),
    Item(
        "PAY_FORMALITIES",
        "3.5a",
        "Tỷ lệ TTHC có giao dịch thanh toán trực tuyến",
        "Share of fee-charging procedures with online payments",
        "Số TTHC có thu phí có phát sinh thanh toán trực tuyến",
        "Số TTHC có thu phí",
        f"2 điểm: {SRC_C}/formula-maximums; ngưỡng 80%: tài liệu hệ thống (C) '3.5 = 80%', "
        f"khớp {SRC_HN}",
    ),
    Item(
        "PAY_PROVISION",
        "3.5b",
        "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến trên Cổng DVCQG",
        "Share of procedures with fees integrated for online payment on the national portal",
        "Số TTHC có hồ sơ đồng bộ dữ liệu phí khác 0",
        "Số TTHC có thông tin phí trong CSDL TTHC",
        f"2 điểm, ngưỡng 80%: {SRC_C}; khớp {SRC_HN}",
    ),
    Item(
        "PAY_DOSSIERS",
        "3.6",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        "Share of dossiers paid online",
        "Số hồ sơ thanh toán trực tuyến (Cổng DVCQG hoặc cổng thanh toán của bộ/tỉnh) có ngày "
        "bắt đầu xử lý trong kỳ",
        "Tổng số hồ sơ của TTHC có phí − hồ sơ có mọi khoản phí bằng 0",
        f"6 điểm, tuyến tính: {SRC_C}/formula-maximums; khớp {SRC_HN}",
    ),
    # 4. Số hoá hồ sơ
    Item(
        "ORIGINAL_RESULT_AVAILABLE",
        "4.1",
        "Tỷ lệ hồ sơ TTHC có cấp kết quả giải quyết điện tử",
        "Share of dossiers with an electronic result (legally valid)",
        "Số hồ sơ có kết quả điện tử có giá trị pháp lý",
        "Tổng số hồ sơ đã hoàn thành của các TTHC có quy định trả kết quả bằng văn bản, giấy tờ",
        f"6 điểm: {SRC_C} dòng 11",
    ),
    Item(
        "SO_HOA_GIAY_TO_GIAI_QUYET",
        "4.2",
        "Tỷ lệ hồ sơ TTHC thực hiện số hoá thành phần hồ sơ",
        "Share of dossiers whose components were digitized",
        "Số hồ sơ có số hoá thành phần hồ sơ (và kết quả điện tử nếu TTHC yêu cầu)",
        "Tổng số hồ sơ thuộc thẩm quyền giải quyết",
        f"4 điểm: {SRC_C} dòng 12; ngưỡng 80% theo tài liệu hệ thống, Cổng 2026 tính tuyến tính "
        f"({SRC_HN})",
    ),
    Item(
        "ELECTRONIC_CERTIFIED_COPY",
        "C-13",
        "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
        "Share of communes offering electronic certified copies",
        "Số xã cung cấp chứng thực bản sao điện tử từ bản chính",
        "Tổng số xã thuộc thẩm quyền quản lý",
        f"2 điểm: {SRC_C} dòng 13",
        note="Cổng công bố tỷ lệ 100% không kèm tử/mẫu số (Hà Nội, 10/2026): nhập 'value'. "
        "Cấp xã: 1/1 nếu xã cung cấp.",
    ),
    Item(
        "REUSED_DIGITIZED_DATA",
        "4.3",
        "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hoá",
        "Share of dossiers reusing digitized data",
        "Số hồ sơ có thành phần được cắt giảm, thay thế dựa trên dữ liệu (tái sử dụng)",
        "Tổng số hồ sơ tiếp nhận trong kỳ",
        f"2 điểm, ngưỡng 80%: {SRC_C} dòng 14; khớp {SRC_HN}",
    ),
    Item(
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
        "4.4",
        "Tỷ lệ hồ sơ số hoá có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
        "Share of digitized dossiers shared with the citizen's data store for reuse",
        "Số hồ sơ có ít nhất một tệp lấy từ kho dữ liệu cá nhân hoặc đồng bộ kết quả lên kho "
        "của Cổng DVCQG",
        "Tổng số hồ sơ tiếp nhận trong kỳ",
        f"4 điểm: {SRC_C} dòng 15",
    ),
    Item(
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        "4.5b",
        "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
        "Share of dossiers using population data",
        "Số hồ sơ đồng bộ có xác thực VNeID, lấy từ kho hoặc có mã CSDL dân cư",
        "Tổng số hồ sơ",
        f"2 điểm: {SRC_C} dòng 16 (phạm vi: Tỉnh); Cổng vẫn chấm cấp xã ({SRC_HN})",
        province_only=True,
    ),
    Item(
        "CITIZEN_DATA_CONNECTED_FORMALITY",
        "4.5a",
        "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư",
        "Share of procedures connected to population data",
        "Số TTHC có hồ sơ dùng dữ liệu dân cư",
        "Số TTHC có đối tượng là người dân",
        f"2 điểm: {SRC_C} dòng 17 (phạm vi: Tỉnh); Cổng vẫn chấm cấp xã ({SRC_HN})",
        province_only=True,
    ),
    # 5. Mức độ hài lòng
    Item(
        "PETITION_PROCESSING_ON_TIME",
        "5.2",
        "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
        "Share of petitions handled on time",
        "Số PAKN xử lý đúng, trước hạn và đang xử lý trong hạn",
        "Tổng số PAKN thuộc thẩm quyền tiếp nhận, xử lý",
        f"{SRC_A} (công thức: vietjack.me, lamdong.dcs.vn); 6 điểm: {SRC_C} dòng 21",
        note="Thời hạn theo Quy chế Cổng DVCQG: từ chối ≤ 2, yêu cầu bổ sung ≤ 5, xử lý ≤ 15, "
        "công khai ≤ 2 ngày làm việc.",
    ),
    Item(
        "PETITION_HANDLING_SATISFACTION",
        "5.3",
        "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
        "Satisfaction with petition handling",
        "Tổng số PAKN − số bị phản hồi không hài lòng, tiếp tục phản ánh về kết quả, hoặc quá hạn",
        "Tổng số PAKN đã xử lý",
        f"{SRC_A} (công thức: vietjack.me, lamdong.dcs.vn); 6 điểm: {SRC_C} dòng 22",
        note="Không hài lòng trên Cổng: số 'không thích' > số 'thích', hoặc quá hạn. Đơn vị không "
        "có PAKN: xem tuỳ chọn no_petitions.",
        forms=(
            Form(
                ("total", "dissatisfied_or_late"),
                lambda c: c["total"] - c["dissatisfied_or_late"],
                lambda c: c["total"],
                "(total − dissatisfied_or_late) / total",
            ),
        ),
    ),
    Item(
        "DOSSIER_RECEIVING_SATISFACTION",
        "5.4",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "Satisfaction with receiving and processing dossiers",
        "Tổng số hồ sơ − số hồ sơ không hài lòng hoặc có PAKN về tiếp nhận, giải quyết, hoặc quá "
        "hạn",
        "Tổng số hồ sơ TTHC thuộc thẩm quyền giải quyết",
        f"{SRC_A} (6/18 điểm: baocaotaichinh.vn); ngưỡng 90%: tài liệu hệ thống (C); khớp {SRC_HN}",
        note="Tài liệu hệ thống: = 100% − (tỷ lệ quá hạn + tỷ lệ có PAKN/không thích), tức hồ sơ "
        "vừa quá hạn vừa bị phản ánh bị trừ hai lần; văn bản trừ mỗi hồ sơ một lần. Dạng chi "
        "tiết: late_and_dissatisfied = 0 (mặc định) theo Cổng, = số hồ sơ trùng theo văn bản.",
        forms=(
            Form(
                ("total", "late", "dissatisfied"),
                lambda c: max(
                    0,
                    c["total"] - c["late"] - c["dissatisfied"] + c.get("late_and_dissatisfied", 0),
                ),
                lambda c: c["total"],
                "(total − late − dissatisfied + late_and_dissatisfied) / total",
                optional=("late_and_dissatisfied",),
            ),
        ),
    ),
    Item(
        "PETITION_CLASSIFICATION_TTHC",
        "5.1",
        "Tỷ lệ PAKN về quy định, thủ tục hành chính",
        "Share of petitions about regulations and procedures",
        "Số PAKN về quy định, TTHC",
        "Tổng số PAKN",
        f"{SRC_C} dòng 19 (0 điểm, theo dõi)",
    ),
    Item(
        "PETITION_CLASSIFICATION_STAFF",
        "5.1",
        "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
        "Share of petitions about the conduct of officials",
        "Số PAKN về hành vi CBCCVC",
        "Tổng số PAKN",
        f"{SRC_C} dòng 20 (0 điểm, theo dõi)",
    ),
)

PETITIONS_ON_TIME = "PETITION_PROCESSING_ON_TIME"
PETITIONS_SATISFACTION = "PETITION_HANDLING_SATISFACTION"
DOSSIER_SATISFACTION = "DOSSIER_RECEIVING_SATISFACTION"


def _p(code: str, points: str, threshold: str | None = None, note: str = "") -> Placement:
    return Placement(code, Decimal(points), None if threshold is None else Decimal(threshold), note)


_CKMB = Group(
    "CKMB",
    "Công khai, minh bạch",
    "Publicity and transparency",
    Decimal(18),
    (
        _p("PUBLISH_ON_TIME", "6"),
        _p("PUBLIC_UPDATE_ON_TIME", "4"),
        _p("PUBLIC_CONTENT_FULL", "2"),
        _p("DOSSIER_SYNC", "6"),
    ),
    source=f"18 điểm: {SRC_A} (sonoivu.namdinh.gov.vn); chia 6/4/2/6: {SRC_C}",
)
_TDGQ = Group(
    "TDGQ",
    "Tiến độ, kết quả giải quyết",
    "Processing progress and results",
    Decimal(20),
    (_p("ON_TIME", "20"),),
    tracked=("AVG_DAYS", "RECEIVED", "COMPLETED"),
    source=f"20 điểm: {SRC_A}",
)
_MDHL = Group(
    "MDHL",
    "Mức độ hài lòng",
    "Satisfaction",
    Decimal(18),
    (
        _p(PETITIONS_ON_TIME, "6"),
        _p(PETITIONS_SATISFACTION, "6"),
        _p(DOSSIER_SATISFACTION, "6", "90"),
    ),
    tracked=("PETITION_CLASSIFICATION_TTHC", "PETITION_CLASSIFICATION_STAFF"),
    source=f"18 điểm: {SRC_A}; 6/6/6: {SRC_C}",
)


def _mdsh(digitized_threshold: str | None, note: str) -> Group:
    return Group(
        "MDSH",
        "Số hoá hồ sơ",
        "Dossier digitization",
        Decimal(22),
        (
            _p("ORIGINAL_RESULT_AVAILABLE", "6"),
            _p("SO_HOA_GIAY_TO_GIAI_QUYET", "4", digitized_threshold, note),
            _p("ELECTRONIC_CERTIFIED_COPY", "2"),
            _p("REUSED_DIGITIZED_DATA", "2", "80"),
            _p("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "4"),
            _p("CITIZEN_DATA_CONNECTED_DOSSIER", "2"),
            _p("CITIZEN_DATA_CONNECTED_FORMALITY", "2"),
        ),
        source=f"22 điểm: {SRC_A}; chia 6/4/2/2/4/2/2: {SRC_C}",
    )


_PAYMENTS = (
    _p("PAY_FORMALITIES", "2", "80"),
    _p("PAY_PROVISION", "2", "80"),
    _p("PAY_DOSSIERS", "6"),
)

SCHEMES: dict[str, Scheme] = {
    PORTAL_2026: Scheme(
        PORTAL_2026,
        "Bộ chỉ số 766 như Cổng DVCQG chấm năm 2026 (6 nhóm)",
        (
            _CKMB,
            _TDGQ,
            Group(
                "CLGQ",
                "Dịch vụ công trực tuyến",
                "Online public services",
                Decimal(12),
                (_p("FULL_ONLINE_DOSSIERS", "12"),),
                tracked=("FULL", "HAS_ONLINE", "ONLINE_DOSSIERS", "ONLINE_ON_TIME"),
                source=f"12 điểm: {SRC_C} dòng 6; mã nhóm CLGQ: {SRC_HN}",
            ),
            Group(
                "TTTT",
                "Thanh toán trực tuyến",
                "Online payment",
                Decimal(10),
                _PAYMENTS,
                source=f"10 điểm: {SRC_C} dòng 24; chia 2/2/6: formula-maximums (C)",
            ),
            _MDHL,
            _mdsh(None, "Cổng 2026 tính tuyến tính dù tài liệu ghi ngưỡng 80% (Hà Nội 10/2026)"),
        ),
        note="Khớp điểm Cổng DVCQG công bố cho Hà Nội và xã Ba Vì ngày 10/10/2026.",
    ),
    DECISION_2022: Scheme(
        DECISION_2022,
        "Bộ chỉ số 766 theo bố cục QĐ 766/QĐ-TTg năm 2022 (5 nhóm; trọng số con tái dựng)",
        (
            _CKMB,
            _TDGQ,
            _mdsh("80", "ngưỡng 80% theo tài liệu hệ thống (C)"),
            Group(
                "CCDVTT",
                "Cung cấp dịch vụ trực tuyến",
                "Online service provision",
                Decimal(22),
                (
                    _p("ONLINE_FORMALITIES", "2", "80"),
                    _p("HAS_ONLINE", "4"),
                    _p("ONLINE_DOSSIERS", "6", "50"),
                    *_PAYMENTS,
                ),
                tracked=("FULL", "ONLINE_ON_TIME", "FULL_ONLINE_DOSSIERS"),
                source=f"22 điểm: {SRC_A}; 2/4/6 + 2/2/6: {SRC_B}; ngưỡng: tài liệu hệ thống (C)",
            ),
            _MDHL,
        ),
        note="Chỉ điểm tối đa của năm nhóm, công thức nhóm hài lòng và điểm của 1.2, 2.1, 5.4 có "
        "nguồn từ văn bản 2022; các trọng số con còn lại lấy từ (C) hoặc (B).",
    ),
}

__all__ = [
    "CODE_GOVQMS",
    "CODE_OBSERVED",
    "CODE_PORTAL",
    "COMMUNE",
    "DECISION_2022",
    "ITEMS",
    "LEVELS",
    "PORTAL_2026",
    "PROVINCE",
    "SCHEMES",
    "Form",
    "Group",
    "Item",
    "Placement",
    "Scheme",
]
