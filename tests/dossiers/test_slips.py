"""The four slips: each renders (HTML and an A4 PDF) with the dossier code, the national motto,
the right content and a QR code to the public lookup; reading one is a logged personal-data
read; none reaches the network."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from govqms.core.models import AuditEntry
from govqms.dossiers import services, slips

from .conftest import local

APPLICANT = services.ApplicantData(name="Nguyễn Thị Ánh Dương", phone="0912345678")


@pytest.fixture
def received(version, users, tree):
    version.procedure.documents = [
        {"name": "Tờ khai đăng ký khai sinh theo mẫu", "copies": "01 bản chính"},
        "Giấy chứng sinh",
    ]
    version.procedure.save()
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=APPLICANT,
        at=local(2026, 3, 3, 9, 0),
    )


def _event(users, dossier, who, kind, at, **extra):
    return services.dossier_event_record(
        actor=users[who], dossier=dossier, kind=kind, occurred_at=at, **extra
    )


@pytest.fixture
def all_slips(received, users, version, tree):
    """One dossier with a supplement request and a re-appointment; one refused online dossier."""
    d = received
    _event(
        users,
        d,
        "handler_a",
        "supplement_requested",
        local(2026, 3, 3, 10, 0),
        reason="Bổ sung bản sao giấy chứng nhận kết hôn của cha mẹ.",
    )
    _event(users, d, "desk_a", "supplement_provided", local(2026, 3, 3, 14, 0))
    _event(
        users,
        d,
        "leader_a",
        "reappointed",
        local(2026, 3, 4, 8, 0),
        reason="Cần xác minh thông tin hộ tịch tại nơi cư trú trước đây.",
        data={"new_due_at": local(2026, 3, 9, 16, 30).isoformat()},
    )
    refused = services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="online",
        applicant=APPLICANT,
        at=local(2026, 3, 3, 8, 0),
        online=True,
    )
    _event(
        users,
        refused,
        "desk_a",
        "refused",
        local(2026, 3, 3, 9, 30),
        reason="Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường.",
    )
    d.refresh_from_db()
    refused.refresh_from_db()
    return {"tiep-nhan": d, "bo-sung": d, "xin-loi": d, "tu-choi": refused}


def test_receipt_html_has_the_standard_content(received, rf):
    html = slips.render_html("tiep-nhan", received, request=rf.get("/"))
    for text in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Ủy ban nhân dân Phường Hoàn Kiếm",
        "Hà Nội, ngày 03 tháng 03 năm 2026",
        received.code,
        "Nguyễn Thị Ánh Dương",
        "Thủ tục đăng ký khai sinh",
        "Tờ khai đăng ký khai sinh theo mẫu: 01 bản chính",
        "Giấy chứng sinh",
        "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 03 tháng 03 năm 2026",
        # Tuesday 09:00 + 8 working hours = Wednesday 09:00.
        "5. Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 04 tháng 03 năm 2026",
        "6. Đăng ký nhận kết quả tại: Phường Hoàn Kiếm",
        "http://testserver/tra-cuu/?ma=" + received.code,
        "data:image/svg+xml;base64,",
    ):
        assert text in html, text


def test_slip_texts(all_slips, rf):
    request = rf.get("/")
    supplement = slips.render_html("bo-sung", all_slips["bo-sung"], request=request)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in supplement
    assert "Bổ sung bản sao giấy chứng nhận kết hôn của cha mẹ." in supplement
    refusal = slips.render_html("tu-choi", all_slips["tu-choi"], request=request)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in refusal
    assert "không thuộc thẩm quyền" in refusal
    apology = slips.render_html("xin-loi", all_slips["xin-loi"], request=request)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in apology
    assert "Cần xác minh thông tin hộ tịch" in apology
    assert "16 giờ 30 phút, ngày 09 tháng 03 năm 2026" in apology  # the new date
    # The date promised before: Wed 09:00 moved by the 3 working hours paused → 12:00.
    assert "12 giờ 00 phút, ngày 04/03/2026" in apology


def test_slips_offered_follow_the_dossier(all_slips, received):
    state, _rule, _calendar = services.dossier_state(all_slips["tiep-nhan"])
    assert list(slips.available(all_slips["tiep-nhan"], state)) == [
        "tiep-nhan",
        "bo-sung",
        "xin-loi",
    ]
    state, _rule, _calendar = services.dossier_state(all_slips["tu-choi"])
    assert list(slips.available(all_slips["tu-choi"], state)) == ["tu-choi"]


def _pdf_text(pdf: bytes, tmp_path) -> str | None:
    """Text of the PDF with poppler's pdftotext when installed (WeasyPrint compresses and
    subsets fonts, so the raw bytes do not hold the text)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 - fixed tool, our own file
        [tool, "-layout", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode()


@pytest.mark.parametrize("kind", ["tiep-nhan", "bo-sung", "tu-choi", "xin-loi"])
def test_slip_pdf_is_served_inline_and_logged(client, users, all_slips, kind, tmp_path):
    dossier = all_slips[kind]
    client.force_login(users["desk_a"])
    before = AuditEntry.objects.filter(action="read", object_id=str(dossier.pk)).count()
    response = client.get(reverse("dossiers:slip", args=[dossier.code, kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    pdf = response.content
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    text = _pdf_text(pdf, tmp_path)
    if text is not None:
        pdfinfo = shutil.which("pdfinfo")
        if pdfinfo:
            info = subprocess.run(  # noqa: S603 - fixed tool, our own file
                [pdfinfo, str(tmp_path / "slip.pdf")], capture_output=True, check=True
            ).stdout.decode()
            assert "(A4)" in info
        assert dossier.code in text
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
        assert str(slips.SLIPS[kind].heading) in " ".join(text.split())
    entries = AuditEntry.objects.filter(action="read", object_id=str(dossier.pk))
    assert entries.count() == before + 1
    assert entries.latest("seq").reason.startswith("In ")


def test_slip_not_yet_issued_is_404(client, users, received):
    client.force_login(users["desk_a"])
    for kind in ("bo-sung", "tu-choi", "xin-loi", "khong-co"):
        assert client.get(reverse("dossiers:slip", args=[received.code, kind])).status_code == 404


def test_public_base_url_setting_wins(received, rf, settings):
    settings.GOVQMS_PUBLIC_BASE_URL = "https://dichvucong.example.gov.vn/"
    url = slips.public_url(rf.get("/"), received)
    assert url == f"https://dichvucong.example.gov.vn/tra-cuu/?ma={received.code}"


def test_slips_never_fetch_external_resources():
    fetcher = slips.url_fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher("https://cdn.example.com/font.woff2")
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher("file:///etc/passwd")
