"""Dossier screens: reception, worklist, the dossier page and its actions, with a permission
matrix (ward A vs ward B), masking, read logging and query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from govqms.core.models import AuditEntry
from govqms.dossiers import selectors, services
from govqms.dossiers.models import Dossier
from govqms.procedures.models import Procedure, ProcedureVersion, Step

from .conftest import local

APPLICANT = services.ApplicantData(
    name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", id_number="001099012345"
)


def open_dossier(version, users, tree, at=None, applicant=APPLICANT, **extra):
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=applicant,
        at=at,
        **extra,
    )


def reads_of(dossier) -> int:
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.READ, object_id=str(dossier.pk)
    ).count()


@pytest.fixture
def city_version(tree):
    """A procedure declared at the city (01): it governs every ward, A and B."""
    procedure = Procedure.objects.create(code="2.000001", name="Cấp bản sao trích lục hộ tịch")
    v = ProcedureVersion.objects.create(
        procedure=procedure,
        unit=tree["hanoi"],
        number=1,
        status="active",
        limit_unit="working_days",
        limit_hours=Decimal(16),
    )
    Step.objects.create(
        version=v, order=1, code="XL", name="Xử lý", role="case_handler", budget_hours=16
    )
    return v


# --- Masking --------------------------------------------------------------------------------


def test_masking_helpers():
    assert selectors.mask_name("Nguyễn Văn An") == "Nguyễn V. A."
    assert selectors.mask_name("  Lê   Thị  Hồng Ánh ") == "Lê T. H. Á."
    assert selectors.mask_name("An") == "A."
    assert selectors.mask_name("") == ""
    assert selectors.mask_phone("0912345678") == "091****678"
    assert selectors.mask_phone("+84 912 345 678") == "+84******678"
    assert selectors.mask_phone("12345") == "***45"
    assert selectors.mask_phone("") == ""
    assert selectors.mask_email("an.nguyen@example.vn") == "a***@example.vn"


# --- Reception ------------------------------------------------------------------------------


def test_reception_page_lists_governing_procedures(client, users, version, city_version):
    client.force_login(users["desk_a"])
    page = client.get(reverse("dossiers:reception"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Thủ tục đăng ký khai sinh" in html and "Cấp bản sao trích lục hộ tịch" in html
    assert "autofocus" in html
    # Ward B's desk sees the city's procedure but not ward A's own.
    client.force_login(users["desk_b"])
    html = client.get(reverse("dossiers:reception")).content.decode()
    assert "Cấp bản sao trích lục hộ tịch" in html
    assert "Thủ tục đăng ký khai sinh" not in html


def test_procedure_search_ignores_diacritics(client, users, version, city_version):
    client.force_login(users["desk_a"])
    url = reverse("dossiers:reception_procedures")
    html = client.get(url, {"q": "dang ky khai sinh"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1.001193" in html and "2.000001" not in html
    assert "selected" in html  # a single match is preselected: Tab, then Enter submits


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("desk_a", True),
        ("handler_a", False),
        ("leader_a", False),
        ("desk_b", False),
        ("overseer", False),
        ("nobody", False),
    ],
)
def test_reception_permission(client, users, version, who, allowed):
    client.force_login(users[who])
    response = client.get(reverse("dossiers:reception"))
    if who == "desk_b":
        # Ward B's desk may receive, but ward A's procedure does not govern ward B.
        assert response.status_code == 200
        assert "1.001193" not in response.content.decode()
        return
    assert response.status_code == (200 if allowed else 403)


def test_desk_receives_and_is_sent_to_the_dossier_page(client, users, version):
    client.force_login(users["desk_a"])
    response = client.post(
        reverse("dossiers:reception"),
        {
            "procedure": "1.001193",
            "receiving_unit": "00070",
            "channel": "counter",
            "applicant_name": "  Trần   Thị Bình ",
            "applicant_phone": "0987 654 321",
        },
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("dossiers:detail", args=[dossier.code]) + "?moi=1"
    assert dossier.applicant_name == "Trần Thị Bình"
    assert dossier.applicant_phone == "0987654321"
    assert dossier.status == "received" and dossier.due_at is not None
    assert dossier.receiving_unit.code == dossier.competent_unit.code == "00070"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "In giấy tiếp nhận và hẹn trả kết quả" in html
    assert reverse("dossiers:slip", args=[dossier.code, "tiep-nhan"]) in html


def test_receipt_at_a_division_is_decided_by_the_ward(client, tree, version):
    """A desk granted at the ward's one-stop division receives there; the ward decides."""
    from govqms.accounts.roles import Role
    from tests.conftest import make_unit, make_user

    centre = make_unit("00070-TTPVHCC", "Bộ phận Một cửa phường", "service_centre", tree["ward_a"])
    desk = make_user("desk_centre", Role.DESK_OFFICER, centre)
    client.force_login(desk)
    response = client.post(
        reverse("dossiers:reception"),
        {"procedure": "1.001193", "channel": "counter", "applicant_name": "Lê Văn Cường"},
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.receiving_unit == centre and dossier.competent_unit == tree["ward_a"]
    # The receiving desk still sees (and prints) what it received.
    assert client.get(reverse("dossiers:detail", args=[dossier.code])).status_code == 200


def test_desk_with_two_units_keeps_the_chosen_one(client, tree, version):
    from govqms.accounts import services as account_services
    from govqms.accounts.roles import Role
    from tests.conftest import make_user

    desk = make_user("desk_two", Role.DESK_OFFICER, tree["ward_a"], home=tree["ward_a"])
    account_services.role_grant(actor=None, user=desk, role=Role.DESK_OFFICER, unit=tree["div_a"])
    client.force_login(desk)
    page = client.get(reverse("dossiers:reception"), {"don_vi": "00070-VP"}).content.decode()
    assert 'name="receiving_unit" value="00070-VP"' in page
    response = client.post(
        reverse("dossiers:reception"),
        {
            "procedure": "1.001193",
            "receiving_unit": "00070-VP",
            "applicant_name": "Đỗ Văn Em",
            "channel": "postal",
        },
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.receiving_unit == tree["div_a"] and dossier.competent_unit == tree["ward_a"]
    assert dossier.channel == "postal"


def test_desk_a_cannot_receive_at_ward_b(client, users, version, city_version):
    client.force_login(users["desk_a"])
    response = client.post(
        reverse("dossiers:reception"),
        {
            "procedure": "2.000001",
            "receiving_unit": "00004",
            "channel": "counter",
            "applicant_name": "Phạm Văn Dũng",
        },
    )
    assert response.status_code == 400
    assert Dossier.objects.count() == 0


def test_reception_errors_are_shown_on_the_form(client, users, version):
    client.force_login(users["desk_a"])
    response = client.post(
        reverse("dossiers:reception"),
        {"procedure": "", "channel": "counter", "applicant_name": "", "applicant_phone": "abc"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "Số điện thoại chỉ gồm chữ số" in html
    assert Dossier.objects.count() == 0


# --- Isolation and read logging ----------------------------------------------------------


@pytest.mark.parametrize("who", ["desk_b", "leader_b", "nobody"])
def test_ward_b_cannot_read_a_ward_a_dossier(client, users, version, tree, who):
    dossier = open_dossier(version, users, tree)
    client.force_login(users[who])
    for url in (
        reverse("dossiers:detail", args=[dossier.code]),
        reverse("dossiers:slip", args=[dossier.code, "tiep-nhan"]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("dossiers:event", args=[dossier.code]), {"kind": "finished"})
    assert response.status_code == 404
    if who != "nobody":
        worklist = client.get(reverse("dossiers:worklist")).content.decode()
        assert dossier.code not in worklist
        listing = client.get(reverse("dossiers:list")).content.decode()
        assert dossier.code not in listing
    assert reads_of(dossier) == 0


@pytest.mark.parametrize("who", ["desk_a", "handler_a", "leader_a", "quality_a", "overseer"])
def test_dossier_page_shows_the_applicant_and_logs_the_read(client, users, version, tree, who):
    dossier = open_dossier(version, users, tree)
    client.force_login(users[who])
    html = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert "Nguyễn Văn An" in html and "0912345678" in html and "001099012345" in html
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.READ).latest("seq")
    assert entry.object_id == str(dossier.pk)
    assert entry.actor_label == users[who].username
    assert set(entry.changes["fields"]) == set(selectors.APPLICANT_FIELDS)
    assert entry.reason == "Xem hồ sơ"


def test_dossier_get_logs_every_read(users, version, tree):
    dossier = open_dossier(version, users, tree)
    for n in (1, 2, 3):
        selectors.dossier_get(user=users["handler_a"], code=dossier.code, purpose="kiểm tra")
        assert reads_of(dossier) == n
    with pytest.raises(selectors.Http404):
        selectors.dossier_get(user=users["desk_b"], code=dossier.code, purpose="kiểm tra")
    assert reads_of(dossier) == 3


def test_lists_mask_personal_data(client, users, version, tree):
    dossier = open_dossier(version, users, tree)
    client.force_login(users["handler_a"])
    for url in (reverse("dossiers:worklist"), reverse("dossiers:list")):
        html = client.get(url).content.decode()
        assert dossier.code in html
        assert "Nguyễn V. A." in html and "091****678" in html
        assert "Nguyễn Văn An" not in html and "0912345678" not in html
        assert "001099012345" not in html and "an@example.vn" not in html
    assert reads_of(dossier) == 0  # masked lists are not reads of personal data


# --- Worklist ---------------------------------------------------------------------------------


def test_worklist_orders_by_urgency(users, version, city_version, tree):
    now = local(2026, 3, 10, 9, 0)  # Tuesday
    overdue_late = open_dossier(version, users, tree, at=local(2026, 3, 6, 9, 0))
    overdue_early = open_dossier(version, users, tree, at=local(2026, 3, 5, 9, 0))
    due_soon = open_dossier(version, users, tree, at=local(2026, 3, 9, 10, 0))  # due 10:00
    # 16 working hours from Tuesday 08:00: due Wednesday 16:00, more than 8 h away.
    within = open_dossier(city_version, users, tree, at=local(2026, 3, 10, 8, 0))
    paused = open_dossier(version, users, tree, at=local(2026, 3, 9, 9, 30))
    services.dossier_event_record(
        actor=users["handler_a"],
        dossier=paused,
        kind="supplement_requested",
        occurred_at=local(2026, 3, 9, 9, 45),
        reason="Thiếu bản sao giấy chứng sinh",
    )
    closed = open_dossier(version, users, tree, at=local(2026, 3, 9, 8, 0))
    services.dossier_event_record(
        actor=users["leader_a"], dossier=closed, kind="finished", occurred_at=local(2026, 3, 9, 9)
    )
    items = selectors.worklist(user=users["handler_a"], now=now)
    codes = [i.dossier.code for i in items]
    assert closed.code not in codes
    assert codes[:2] == [overdue_early.code, overdue_late.code]
    assert {i.timeliness for i in items[:2]} == {"overdue"}
    by_code = {i.dossier.code: i for i in items}
    assert by_code[due_soon.code].timeliness == "due_soon"
    assert by_code[within.code].timeliness == "within"
    assert by_code[paused.code].paused
    # Paused at 09:45 Monday with due 09:30 Tuesday: judged at the pause → due soon.
    assert by_code[paused.code].timeliness == "due_soon"
    assert codes.index(due_soon.code) < codes.index(within.code)
    assert codes[-1] == within.code


def test_worklist_shows_step_budget_and_badges(client, users, version, tree):
    dossier = open_dossier(version, users, tree, at=timezone.now() - dt.timedelta(days=20))
    services.dossier_event_record(
        actor=users["handler_a"], dossier=dossier, kind="step_started", step="XL"
    )
    client.force_login(users["handler_a"])
    html = client.get(reverse("dossiers:worklist")).content.decode()
    assert "Thẩm định, trình ký" in html
    assert "/ 6 giờ làm việc" in html
    assert "Đang xử lý quá hạn" in html  # the class is written out, not only coloured
    mine = client.get(reverse("dossiers:worklist"), {"cua_toi": "1"}).content.decode()
    assert dossier.code in mine  # handler_a is the current handler
    client.force_login(users["leader_a"])
    assert dossier.code in client.get(reverse("dossiers:worklist")).content.decode()
    mine = client.get(reverse("dossiers:worklist"), {"cua_toi": "1"}).content.decode()
    assert dossier.code not in mine


def test_worklist_query_count_does_not_grow(
    client, users, version, tree, django_assert_max_num_queries
):
    client.force_login(users["handler_a"])
    open_dossier(version, users, tree, at=local(2026, 3, 3, 9, 0))
    client.get(reverse("dossiers:worklist"))  # warm caches (session, content types)
    with django_assert_max_num_queries(16) as few:
        assert client.get(reverse("dossiers:worklist")).status_code == 200
    for day in range(2, 14):
        d = open_dossier(version, users, tree, at=local(2026, 3, day, 9, 0))
        services.dossier_event_record(
            actor=users["handler_a"], dossier=d, kind="step_started", step="XL"
        )
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        html = client.get(reverse("dossiers:worklist")).content.decode()
    assert html.count("/ho-so/00070-") >= 13
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The dossier page: actions ---------------------------------------------------------------


def _post_event(client, dossier, **data):
    return client.post(reverse("dossiers:event", args=[dossier.code]), data)


def test_actions_follow_the_lifecycle_and_permissions(client, users, version, tree):
    dossier = open_dossier(version, users, tree)
    client.force_login(users["handler_a"])
    html = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'value="step_started"' in html and 'value="supplement_requested"' in html
    assert 'value="finished"' not in html  # the leader approves
    assert 'value="reappointed"' not in html
    client.force_login(users["leader_a"])
    html = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'value="finished"' in html and 'value="reappointed"' in html
    client.force_login(users["quality_a"])  # may view, may not act
    html = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'name="kind"' not in html
    assert _post_event(client, dossier, kind="step_started", step="XL").status_code == 403


def test_full_path_through_the_page(client, users, version, tree):
    dossier = open_dossier(version, users, tree)
    client.force_login(users["handler_a"])
    assert _post_event(client, dossier, kind="step_started", step="XL").status_code == 302
    # The supplement guidance is required and written once.
    response = _post_event(client, dossier, kind="supplement_requested", reason="")
    assert response.status_code == 400
    assert "Trường này là bắt buộc" in response.content.decode() or "bắt buộc" in (
        response.content.decode()
    )
    response = _post_event(
        client, dossier, kind="supplement_requested", reason="Bổ sung bản sao giấy chứng sinh."
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "supplement"
    page = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert "đang tạm dừng" in page
    assert reverse("dossiers:slip", args=[dossier.code, "bo-sung"]) in page
    # The applicant brings the supplement to the one-stop desk: the desk records it.
    assert 'value="supplement_provided"' not in page
    assert _post_event(client, dossier, kind="supplement_provided").status_code == 403
    client.force_login(users["desk_a"])
    assert _post_event(client, dossier, kind="supplement_provided").status_code == 302
    client.force_login(users["handler_a"])
    page = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'value="supplement_requested"' not in page  # only once
    # A second request straight to the endpoint is a form error, not a 500.
    response = _post_event(client, dossier, kind="supplement_requested", reason="Lần hai")
    assert response.status_code == 400
    assert "Chỉ được yêu cầu bổ sung hồ sơ một lần" in response.content.decode()
    assert _post_event(client, dossier, kind="step_finished", step="XL").status_code == 302
    client.force_login(users["leader_a"])
    assert _post_event(client, dossier, kind="finished").status_code == 302
    client.force_login(users["desk_a"])
    assert _post_event(client, dossier, kind="returned").status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "returned"
    page = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    for label in ("Tiếp nhận", "Bắt đầu bước", "Yêu cầu bổ sung", "Đã bổ sung", "Trả kết quả"):
        assert label in page
    assert "Bổ sung bản sao giấy chứng sinh." in page
    assert "handler_a" in page  # who did what


def test_reappointment_through_the_page(client, users, version, tree):
    dossier = open_dossier(version, users, tree)  # received now: due in 8 working hours
    state, _rule, calendar = services.dossier_state(dossier)
    due_day = calendar.local(state.due_at).date()
    new_day = calendar.next_working_day(calendar.next_working_day(due_day))
    client.force_login(users["leader_a"])
    response = _post_event(
        client, dossier, kind="reappointed", reason="", new_due_date=new_day.isoformat()
    )
    assert response.status_code == 400  # the reason is required
    saturday = new_day + dt.timedelta(days=(5 - new_day.weekday()) % 7)
    if not calendar.is_working_day(saturday):
        response = _post_event(
            client, dossier, kind="reappointed", reason="Chờ xác minh", new_due_date=saturday
        )
        assert response.status_code == 400
        assert "ngày làm việc" in response.content.decode()
    response = _post_event(
        client,
        dossier,
        kind="reappointed",
        reason="Chờ kết quả xác minh của cơ quan khác",
        new_due_date=new_day.isoformat(),
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.reappointed
    assert calendar.local(dossier.due_at) == calendar.close_of_day(new_day)
    page = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'value="reappointed"' not in page  # once
    assert reverse("dossiers:slip", args=[dossier.code, "xin-loi"]) in page
    assert "Đã xin lỗi và hẹn lại ngày trả kết quả" in page


def test_due_date_explanation_is_on_the_page(client, users, version, tree):
    dossier = open_dossier(version, users, tree, at=local(2026, 2, 13, 16, 45))  # before Tết
    client.force_login(users["handler_a"])
    html = client.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert "Cách tính hạn trả kết quả" in html
    assert "Tiếp nhận 13/02/2026 16:45, sau giờ làm việc" in html
    assert "Tết Nguyên đán" in html
    assert "Hạn trả kết quả:" in html


def test_unknown_action_is_404_and_get_is_not_allowed(client, users, version, tree):
    dossier = open_dossier(version, users, tree)
    client.force_login(users["leader_a"])
    assert _post_event(client, dossier, kind="note").status_code == 404
    assert client.get(reverse("dossiers:event", args=[dossier.code])).status_code == 405


def test_nav_shows_dossier_items_by_permission(client, users):
    client.force_login(users["desk_a"])
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("dossiers:reception") in html and reverse("dossiers:worklist") in html
    client.force_login(users["handler_a"])
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("dossiers:reception") not in html and reverse("dossiers:worklist") in html
    client.force_login(users["nobody"])
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("dossiers:worklist") not in html


# --- Admin ------------------------------------------------------------------------------------


def test_admin_is_read_only_masked_and_logs_reads(client, users, version, tree, settings):
    from tests.conftest import make_user

    settings.GOVQMS_REQUIRE_ADMIN_2FA = False
    dossier = open_dossier(version, users, tree)
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    listing = client.get(reverse("admin:dossiers_dossier_changelist")).content.decode()
    assert dossier.code in listing and "Nguyễn V. A." in listing
    assert "Nguyễn Văn An" not in listing
    page = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
    assert page.status_code == 200
    assert reads_of(dossier) == 1
    assert client.get(reverse("admin:dossiers_dossier_add")).status_code == 403
    response = client.post(reverse("admin:dossiers_dossier_change", args=[dossier.pk]), {})
    assert response.status_code == 403
    for name in ("dossierevent", "steprecord"):
        assert client.get(reverse(f"admin:dossiers_{name}_changelist")).status_code == 200
