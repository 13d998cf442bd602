"""The public lookup page: no login, no personal data, not indexed, accessible form; it is the
target of the QR code on every slip."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from govqms.core.models import AuditEntry
from govqms.dossiers import selectors, services
from tests.dossiers.conftest import local

APPLICANT = services.ApplicantData(
    name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", id_number="001099012345"
)
SECRETS = (
    "Nguyễn Văn An",
    "Nguyễn V. A.",
    "0912345678",
    "091****678",
    "an@example.vn",
    "001099012345",
)


@pytest.fixture
def dossier(version, users, tree):
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=APPLICANT,
        at=local(2026, 3, 3, 9, 0),
    )


class Labels(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))


def test_form_without_login(client, db):
    response = client.get(reverse("portal:lookup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="vi"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    parser = Labels()
    parser.feed(html)
    assert parser.inputs and all(i in parser.labels for i in parser.inputs)
    assert "Tra cứu tình trạng hồ sơ" in html


def test_lookup_shows_status_and_date_without_personal_data(client, dossier):
    response = client.get(reverse("portal:lookup"), {"ma": dossier.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert dossier.code in html
    assert "Thủ tục đăng ký khai sinh" in html
    assert "Đã tiếp nhận" in html  # the status label
    assert "09:00, 04/03/2026" in html  # the expected return date (Hanoi time)
    assert "Phường Hoàn Kiếm" in html
    assert "quá ngày hẹn trả" in html  # received in March 2026: overdue by now, said plainly
    for secret in SECRETS:
        assert secret not in html
    assert not AuditEntry.objects.filter(action="read").exists()


def test_lookup_trims_the_code_and_says_when_unknown(client, dossier):
    response = client.get(reverse("portal:lookup"), {"ma": f"  {dossier.code} "})
    assert response.status_code == 200 and "Thủ tục đăng ký khai sinh" in response.content.decode()
    response = client.get(reverse("portal:lookup"), {"ma": "00070-000000-0000"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy hồ sơ" in html and 'role="alert"' in html
    assert 'aria-invalid="true"' in html


def test_supplement_and_reappointment_are_explained(client, dossier, users):
    services.dossier_event_record(
        actor=users["leader_a"],
        dossier=dossier,
        kind="reappointed",
        occurred_at=local(2026, 3, 3, 16, 0),
        reason="Chờ xác minh tại nơi cư trú cũ của ông Nguyễn Văn An",
        data={"new_due_at": local(2026, 3, 9, 16, 30).isoformat()},
    )
    services.dossier_event_record(
        actor=users["handler_a"],
        dossier=dossier,
        kind="supplement_requested",
        occurred_at=local(2026, 3, 4, 9, 0),
        reason="Bổ sung giấy tờ của ông Nguyễn Văn An",
    )
    html = client.get(reverse("portal:lookup"), {"ma": dossier.code}).content.decode()
    assert "cần bổ sung" in html
    assert "xin lỗi và hẹn lại" in html
    assert "Chờ xác minh" not in html and "Bổ sung giấy tờ" not in html  # free text may name people
    for secret in SECRETS:
        assert secret not in html


def test_public_lookup_selector_has_no_applicant_field(dossier):
    result = selectors.public_lookup(dossier.code)
    fields = set(result.__dataclass_fields__)
    assert not any("applicant" in f or "phone" in f or "email" in f for f in fields)
    assert selectors.public_lookup("") is None
    assert selectors.public_lookup("x" * 200) is None


def test_signed_in_staff_see_the_same_public_page(client, dossier, users):
    client.force_login(users["leader_a"])
    html = client.get(reverse("portal:lookup"), {"ma": dossier.code}).content.decode()
    for secret in SECRETS:
        assert secret not in html
