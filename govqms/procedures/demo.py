"""Demo procedure versions for a Hanoi ward and the city: real procedures, one-stop desk steps.

`demo_procedures(ward=..., province=...)` declares an active version of ten real procedures
(seven at the ward, three at the city level) and is idempotent: a procedure that already has an
active version at that unit is left alone. Catalogue rows come from the imported national
catalogue (`govqms import-procedures`); without it, the few entries needed are created from the
transcription below (the portal's own values; an unknown unit stays unknown).

The limits and their legal sources are listed in docs/procedures.md ("Demo procedures").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from govqms.org.models import OrgUnit

from . import services
from .models import Procedure, ProcedureVersion
from .specs import StepSpec, VersionLimit, VersionSpec

PORTAL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"
TRANSCRIBED = "transcribed from the National Public Service Portal (govqms/procedures/demo.py); "

# (code, name, sector, levels, limit value, limit unit, limit text, channels, portal page id):
# as the National Public Service Portal shows them (tthc.csv, crawled mid-2026).
CATALOGUE = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", ["Cấp xã"], "1", "", "1",
     ["online", "counter", "postal"], "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"),
    ("1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", ["Cấp xã"], "1", "", "1",
     ["online", "counter", "postal"], "019d2bfd-3fac-7489-b53b-a15eb239a6fe"),
    ("1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", ["Cấp xã"], "1", "", "1",
     ["online", "counter", "postal"], "019d2bfd-3fac-7489-b53b-9c6c958f2da4"),
    ("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", ["Cấp xã"], "3", "",
     "3", ["online", "counter", "postal"], "019d2bfd-6eb3-7019-bf3f-fc58c9ee44b9"),
    ("2.000815",
     "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của "
     "Việt Nam; cơ quan, tổ chức có thẩm quyền của nước ngoài; cơ quan, tổ chức có thẩm quyền của "
     "Việt Nam liên kết với cơ quan, tổ chức có thẩm quyền của nước ngoài cấp hoặc chứng nhận",
     "Chứng thực", ["Cấp xã", "Cơ quan khác"], None, "", "", ["counter"],
     "019d2bfd-8e22-77ef-819f-e49460350904"),
    ("1.004194", "Đăng ký tạm trú", "Đăng ký, quản lý cư trú", ["Cấp xã"], "3", "working_days",
     "3 Ngày làm việc", ["online", "counter"], "019d2bf7-770b-734d-b7fb-5e1995f194f4"),
    ("1.001612", "Đăng ký thành lập hộ kinh doanh",
     "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)", ["Cấp bộ", "Cấp xã"], None, "", "",
     ["online", "counter", "postal"], "019d2bfb-d76d-737f-81b9-69258b07240b"),
    ("1.013236",
     "Cấp giấy phép xây dựng mới công trình cấp đặc biệt, cấp I, cấp II (Công trình không theo "
     "tuyến/Theo tuyến trong đô thị/Tín ngưỡng, tôn giáo/Tượng đài, tranh hoành tráng/Theo giai "
     "đoạn cho công trình không theo tuyến/Theo giai đoạn cho công trình theo tuyến trong đô "
     "thị/Dự án)",
     "Hoạt động xây dựng", ["Cấp tỉnh"], "20", "calendar_days", "20 Ngày",
     ["online", "counter", "postal"], "019d2bfe-909f-769a-9283-87c608b8028e"),
    ("1.013833",
     "Đăng ký biến động đối với trường hợp đổi tên hoặc thay đổi thông tin về người sử dụng đất, "
     "chủ sở hữu tài sản gắn liền với đất hoặc thay đổi số hiệu hoặc địa chỉ của thửa đất; thay "
     "đổi hạn chế quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất hoặc có thay đổi quyền "
     "đối với thửa đất liền kề; giảm diện tích thửa đất do sạt lở tự nhiên",
     "Đất đai", ["Cấp tỉnh"], "10", "working_days", "10 Ngày làm việc", ["counter"],
     "019d2bfa-7ed2-77ba-9ecd-737733a74667"),
    ("3.000333",
     "Cấp Phiếu Lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam, "
     "người Việt Nam đang cư trú ở nước ngoài",
     "Lý lịch tư pháp", ["Cấp tỉnh"], "10", "calendar_days", "10 Ngày",
     ["online", "counter", "postal"], "019d2bf7-bd79-75fb-a4c6-ba1bf85d20ad"),
]  # fmt: skip


def _step(code, name, role, where, hours, description="", output="", **extra) -> StepSpec:
    return StepSpec(
        code=code,
        name=name,
        role=role,
        where=where,
        budget_hours=Decimal(hours),
        description=description,
        output=output,
        **extra,
    )


def _desk_in(hours, output="Phiếu tiếp nhận hồ sơ và hẹn trả kết quả") -> StepSpec:
    return _step(
        "TN",
        "Tiếp nhận, kiểm tra hồ sơ",
        "desk_officer",
        "receiving",
        hours,
        "Kiểm tra tính đầy đủ, hợp lệ của hồ sơ; tiếp nhận, cập nhật vào hệ thống một cửa và "
        "chuyển hồ sơ cho bộ phận chuyên môn.",
        output,
    )


def _sign(hours, output) -> StepSpec:
    return _step("KY", "Ký duyệt", "unit_leader", "competent", hours, "", output)


def _desk_out(hours, output) -> StepSpec:
    return _step(
        "TKQ",
        "Trả kết quả",
        "desk_officer",
        "returning",
        hours,
        "Trả kết quả cho người yêu cầu, thu phí, lệ phí (nếu có), ký nhận; cập nhật hệ thống.",
        output,
    )


@dataclass(frozen=True)
class DemoVersion:
    code: str
    level: str  # "ward" | "province"
    limit: str
    due_soon: Decimal
    steps: tuple[StepSpec, ...]
    notes: str


def _civil(code, result, limit="1wd", hours=(1, 4, 2, 1), check="", notes="") -> DemoVersion:
    tn, td, ky, tkq = hours
    return DemoVersion(
        code,
        "ward",
        limit,
        Decimal(2) if limit == "1wd" else Decimal(8),
        (
            _desk_in(tn),
            _step("TD", "Thẩm định", "case_handler", "competent", td, check, f"Dự thảo {result}"),
            _sign(ky, f"{result} đã ký"),
            _desk_out(tkq, f"{result} trao cho người yêu cầu"),
        ),
        notes,
    )


DEMO: tuple[DemoVersion, ...] = (
    _civil(
        "1.001193",
        "Giấy khai sinh",
        check="Công chức tư pháp - hộ tịch kiểm tra thông tin khai sinh, ghi vào Sổ đăng ký khai "
        "sinh và Cơ sở dữ liệu hộ tịch điện tử, trình Chủ tịch UBND cấp Giấy khai sinh.",
        notes="Luật Hộ tịch 2014, Điều 16: giải quyết ngay sau khi nhận đủ giấy tờ; tiếp nhận "
        "sau 15 giờ thì trả trong ngày làm việc tiếp theo. Quy trình lấy 1 ngày làm việc làm "
        "thời hạn trên.",
    ),
    _civil(
        "1.000894",
        "Giấy chứng nhận kết hôn",
        check="Kiểm tra điều kiện kết hôn theo Luật Hôn nhân và gia đình; ghi vào Sổ đăng ký "
        "kết hôn; trình ký. Cần xác minh thì không quá 05 ngày làm việc (hẹn lại).",
        notes="Luật Hộ tịch 2014, Điều 18: giải quyết ngay sau khi nhận đủ giấy tờ; trường hợp "
        "cần xác minh không quá 05 ngày làm việc.",
    ),
    _civil(
        "1.000656",
        "Trích lục khai tử",
        check="Kiểm tra giấy báo tử hoặc giấy tờ thay thế; ghi vào Sổ đăng ký khai tử; trình ký "
        "trích lục. Cần xác minh thì không quá 03 ngày làm việc (hẹn lại).",
        notes="Luật Hộ tịch 2014, Điều 34: giải quyết ngay sau khi nhận giấy tờ; trường hợp cần "
        "xác minh không quá 03 ngày làm việc.",
    ),
    _civil(
        "1.004873",
        "Giấy xác nhận tình trạng hôn nhân",
        limit="3wd",
        hours=(2, 16, 4, 2),
        check="Kiểm tra, xác minh tình trạng hôn nhân của người yêu cầu (tra cứu Cơ sở dữ liệu "
        "hộ tịch điện tử), trình Chủ tịch UBND ký cấp.",
        notes="Nghị định 123/2015/NĐ-CP, Điều 22: 03 ngày làm việc kể từ ngày nhận đủ hồ sơ.",
    ),
    _civil(
        "2.000815",
        "Bản sao được chứng thực",
        check="Đối chiếu bản sao với bản chính, ghi lời chứng, vào sổ chứng thực.",
        notes="Nghị định 23/2015/NĐ-CP, Điều 7: trong ngày tiếp nhận, hoặc ngày làm việc tiếp "
        "theo nếu tiếp nhận sau 15 giờ. Cổng DVCQG không ghi thời hạn.",
    ),
    _civil(
        "1.004194",
        "Thông báo kết quả đăng ký tạm trú",
        limit="3wd",
        hours=(2, 16, 4, 2),
        check="Cán bộ đăng ký cư trú (Công an cấp xã) đối chiếu thông tin với Cơ sở dữ liệu "
        "quốc gia về dân cư, thẩm định, cập nhật nơi tạm trú.",
        notes="Luật Cư trú 2020, Điều 28: 03 ngày làm việc. Cơ quan có thẩm quyền là Công an cấp "
        "xã; bản demo khai báo quy trình tại phường.",
    ),
    _civil(
        "1.001612",
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        limit="3wd",
        hours=(2, 16, 4, 2),
        check="Cơ quan đăng ký kinh doanh cấp xã kiểm tra điều kiện cấp đăng ký hộ kinh doanh, "
        "nhập Hệ thống thông tin về đăng ký hộ kinh doanh.",
        notes="Nghị định 168/2025/NĐ-CP (theo mục Trình tự thực hiện trên Cổng DVCQG): 03 ngày "
        "làm việc kể từ ngày nhận hồ sơ. Cổng không ghi thời hạn ở mục Cách thức thực hiện.",
    ),
    DemoVersion(
        "1.013236",
        "province",
        "20d",
        Decimal(16),
        (
            _desk_in(4),
            _step(
                "TD",
                "Thẩm định hồ sơ",
                "case_handler",
                "competent",
                40,
                "Kiểm tra điều kiện cấp giấy phép (Nghị định 175/2024/NĐ-CP, Điều 50); thông báo "
                "một lần nếu hồ sơ cần bổ sung.",
                "Báo cáo thẩm định",
            ),
            _step(
                "KTTD",
                "Kiểm tra thực địa",
                "case_handler",
                "competent",
                16,
                output="Biên bản kiểm tra thực địa",
                parallel_group="KT",
            ),
            _step(
                "LYK",
                "Lấy ý kiến cơ quan quản lý nhà nước có liên quan",
                "case_handler",
                "competent",
                56,
                "Chỉ khi cần ý kiến của cơ quan quản lý nhà nước có liên quan (Cổng DVCQG: cơ quan "
                "được hỏi trả lời trong 12 ngày).",
                "Văn bản ý kiến",
                parallel_group="KT",
                optional=True,
            ),
            _sign(8, "Giấy phép xây dựng đã ký"),
            _desk_out(4, "Giấy phép xây dựng kèm hồ sơ thiết kế đóng dấu"),
        ),
        "Luật Xây dựng 2014, Điều 102 (sửa đổi bởi Luật 62/2020/QH14): 20 ngày kể từ ngày nhận "
        "đủ hồ sơ hợp lệ. Cơ quan thực hiện: Sở Xây dựng.",
    ),
    DemoVersion(
        "1.013833",
        "province",
        "10wd",
        Decimal(16),
        (
            _desk_in(4),
            _step(
                "TD",
                "Thẩm định",
                "case_handler",
                "competent",
                56,
                "Văn phòng đăng ký đất đai kiểm tra hồ sơ, chỉnh lý hồ sơ địa chính, cập nhật Cơ "
                "sở dữ liệu đất đai, xác nhận thay đổi trên Giấy chứng nhận.",
                "Giấy chứng nhận đã xác nhận thay đổi (dự thảo)",
            ),
            _sign(16, "Giấy chứng nhận đã ký, đóng dấu"),
            _desk_out(4, "Giấy chứng nhận trao cho người yêu cầu"),
        ),
        "Cổng DVCQG: 10 ngày làm việc (căn cứ: Luật Đất đai 2024, Nghị định 101/2024/NĐ-CP, "
        "151/2025/NĐ-CP). Cơ quan thực hiện: Văn phòng đăng ký đất đai.",
    ),
    DemoVersion(
        "3.000333",
        "province",
        "10d",
        Decimal(16),
        (
            _desk_in(4),
            _step(
                "TD",
                "Thẩm định",
                "case_handler",
                "competent",
                32,
                "Tra cứu, xác minh thông tin lý lịch tư pháp; lập Phiếu lý lịch tư pháp.",
                "Dự thảo Phiếu lý lịch tư pháp",
            ),
            _sign(8, "Phiếu lý lịch tư pháp đã ký"),
            _desk_out(4, "Phiếu lý lịch tư pháp trao cho người yêu cầu"),
        ),
        "Luật Lý lịch tư pháp 2009, Điều 48: không quá 10 ngày kể từ ngày nhận yêu cầu hợp lệ. "
        "Cơ quan thực hiện theo Cổng DVCQG: Công an tỉnh.",
    ),
)


def _procedure(code: str) -> Procedure:
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is not None:
        return procedure
    row = next(r for r in CATALOGUE if r[0] == code)
    _code, name, sector, levels, value, unit, text, channels, page = row
    procedure, _result = services.procedure_upsert(
        actor=None,
        code=code,
        name=name,
        sector=sector,
        levels=levels,
        limit_value=None if value is None else Decimal(value),
        limit_unit=unit,
        limit_text=text,
        channels=channels,
        source=f"{TRANSCRIBED}{PORTAL}{page}",
    )
    return procedure


@transaction.atomic
def demo_procedures(*, ward: OrgUnit, province: OrgUnit, actor=None) -> list[ProcedureVersion]:
    """Active demo versions at `ward` (7) and `province` (3); idempotent. Returns all ten."""
    versions = []
    for item in DEMO:
        unit = ward if item.level == "ward" else province
        procedure = _procedure(item.code)
        active = ProcedureVersion.objects.active().filter(procedure=procedure, unit=unit).first()
        if active is not None:
            versions.append(active)
            continue
        spec = VersionSpec(
            procedure_code=procedure.code,
            procedure_name=procedure.name,
            unit_code=unit.code,
            limit=VersionLimit.parse(item.limit),
            steps=list(item.steps),
            due_soon_hours=item.due_soon,
            notes=item.notes,
        )
        outcome = services.version_import(actor=actor, spec=spec, activate=True)
        versions.append(outcome.version)
    return versions
