"""The YAML file format and BPMN 2.0: round trips through the commands, and clear errors."""

import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from govqms.procedures import selectors, services
from govqms.procedures.bpmn import BPMN, dump_bpmn, load_bpmn
from govqms.procedures.models import ProcedureVersion
from govqms.procedures.specs import SpecError, StepSpec, VersionLimit, VersionSpec
from govqms.procedures.yaml_format import dump_yaml, load_yaml

pytestmark = pytest.mark.django_db

RICH_STEPS = [
    StepSpec("TN", "Tiếp nhận, kiểm tra hồ sơ", "desk_officer", Decimal(4), where="receiving",
             description="Kiểm tra hồ sơ.\nCấp phiếu hẹn.", output="Phiếu hẹn"),
    StepSpec("TD", "Thẩm định hồ sơ", "case_handler", Decimal(48)),
    StepSpec("KTTD", "Kiểm tra thực địa", "case_handler", Decimal(16), parallel_group="KT"),
    StepSpec("LYK", "Lấy ý kiến", "case_handler", Decimal(40), parallel_group="KT",
             optional=True),
    StepSpec("KY", "Ký duyệt", "unit_leader", Decimal("15.5")),
    StepSpec("TKQ", "Trả kết quả", "desk_officer", Decimal("4.5"), where="returning"),
]  # fmt: skip


@pytest.fixture
def permit(tree, birth):
    version = services.version_create_draft(
        actor=None,
        procedure=birth,
        unit=tree["ward_a"],
        limit_unit="calendar_days",
        calendar_days=20,
        steps=RICH_STEPS,
        due_soon_hours=Decimal(16),
        document_code="QT-XD-01",
        notes="Luật Xây dựng, Điều 102.\nBản thử.",
    )
    return services.version_activate(actor=None, version=version)


def export(*args) -> str:
    out = io.StringIO()
    call_command("procedure", "export", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_yaml_round_trip_through_the_commands(permit, tmp_path):
    first = tmp_path / "v1.yaml"
    call_command(
        "procedure", "export", "1.001193", "--unit", "00070", str(first), stderr=io.StringIO()
    )
    text = first.read_text(encoding="utf-8")
    assert "limit: 20d\n" in text and "budget: 15.5wh" in text and "budget: 6wd" in text
    assert "Thủ tục đăng ký khai sinh" in text  # unicode kept, not \u-escaped
    assert "description: |-\n" in text or "description: |\n" in text

    # Importing the unchanged file changes nothing: no new version.
    out = io.StringIO()
    call_command("procedure", "import", str(first), "--activate", stdout=out)
    assert "unchanged" in out.getvalue()
    assert ProcedureVersion.objects.count() == 1

    # A changed file makes version 2 (the active one stays as it was until activation).
    edited = text.replace("budget: 15.5wh", "budget: 11.5wh")
    second = tmp_path / "v2.yaml"
    second.write_text(edited, encoding="utf-8")
    out = io.StringIO()
    call_command("procedure", "import", str(second), "--activate", stdout=out)
    assert "created (activated)" in out.getvalue()
    assert "warning" in out.getvalue()  # 4 h of slack
    permit.refresh_from_db()
    assert permit.status == ProcedureVersion.Status.RETIRED
    assert export("1.001193", "--unit", "00070") == edited
    assert export("1.001193", "--unit", "00070", "--version", "1") == text


def test_yaml_spec_round_trip_is_exact(permit):
    spec = selectors.version_spec(permit)
    text = dump_yaml(spec)
    assert load_yaml(text) == spec
    assert dump_yaml(load_yaml(text)) == text


def test_custom_working_time_of_a_calendar_limit_survives(permit):
    spec = selectors.version_spec(permit)
    spec.limit = VersionLimit.calendar(20, Decimal(100))
    text = dump_yaml(spec)
    assert "working_time: 100wh" in text
    assert load_yaml(text).limit.hours == 100


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("budget: 4wh", "budget: four"), "steps[0].budget: not a duration"),
        (("budget: 4wh", "budget: 4"), "steps[0].budget: not a duration"),
        (("budget: 2wd", "budget: 2d"), "steps[2].budget: unit 'd' is not allowed"),
        (("limit: 1wd", "limit: 1 week"), "limit: not a duration"),
        (("role: unit_leader", "rolle: unit_leader"), "steps[3].rolle: unknown field"),
        (("unit: '00070'", "unit:"), "unit: required"),
        (("- code: TN", "- code: TN\n  optional: maybe"), "steps[0].optional: must be true"),
        (("steps:", "steps: 5\nx:"), "x: unknown field"),
        (("limit: 1wd", "limit: [1wd"), "not valid YAML"),
    ],
)
def test_bad_yaml_names_the_field(tmp_path, change, path):
    spec = VersionSpec(
        procedure_code="1.001193",
        unit_code="00070",
        limit=VersionLimit.parse("1wd"),
        steps=[
            StepSpec("TN", "Tiếp nhận", "desk_officer", Decimal(4)),
            StepSpec("TD", "Thẩm định", "case_handler", Decimal(2)),
            StepSpec("XX", "Xác minh", "case_handler", Decimal(16), optional=True),
            StepSpec("KY", "Ký", "unit_leader", Decimal(1)),
        ],
    )
    text = dump_yaml(spec)
    assert change[0] in text
    with pytest.raises(SpecError, match=path.replace("[", r"\[").replace("]", r"\]")):
        load_yaml(text.replace(change[0], change[1], 1))


def test_import_errors_are_command_errors(tmp_path, tree, birth):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "procedure: '1.001193'\nunit: '00070'\nlimit: 1wd\nsteps:\n"
        "- {code: A, name: A, role: desk_officer, budget: 4wh}\n"
        "- {code: B, name: B, role: case_handler, budget: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"bad.yaml: steps\[1\].budget: not a duration"):
        call_command("procedure", "import", str(bad))
    bad.write_text(
        "procedure: '1.001193'\nunit: '00070'\nlimit: 1wd\nsteps:\n"
        "- {code: A, name: A, role: wizard, budget: 4wh}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"steps\[0\].role"):
        call_command("procedure", "import", str(bad))
    bad.write_text("procedure: '9.999'\nunit: '00070'\nlimit: 1wd\nsteps: []\n", encoding="utf-8")
    with pytest.raises(CommandError, match="import-procedures"):
        call_command("procedure", "import", str(bad))
    bad.write_text(
        "procedure: '1.001193'\nunit: '00070'\nlimit: 1wd\nsteps:\n"
        "- {code: A, name: A, role: desk_officer, budget: 2wd}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="vượt thời hạn"):
        call_command("procedure", "import", str(bad), "--activate")
    assert not ProcedureVersion.objects.filter(status="active").exists()
    with pytest.raises(CommandError, match="no version"):
        export("1.001193", "--unit", "00004")


def test_bpmn_export_shape(permit):
    data = dump_bpmn(selectors.version_spec(permit), role_label=str.upper)
    root = ET.fromstring(data)  # noqa: S314 - our own output
    process = root.find(f"{{{BPMN}}}process")
    tags = [child.tag.split("}")[1] for child in process]
    assert tags.count("userTask") == 6
    assert tags.count("parallelGateway") == 2
    assert tags.count("startEvent") == tags.count("endEvent") == 1
    lanes = process.findall(f".//{{{BPMN}}}lane")
    assert [lane.get("name") for lane in lanes] == ["DESK_OFFICER", "CASE_HANDLER", "UNIT_LEADER"]
    flows = process.findall(f"{{{BPMN}}}sequenceFlow")
    split = next(c for c in process if c.tag.endswith("parallelGateway"))
    assert sum(1 for f in flows if f.get("sourceRef") == split.get("id")) == 2
    assert root.find("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None
    # A file with gateways is outside the importable subset, and says so.
    with pytest.raises(SpecError, match=r"parallelGateway.*not supported"):
        load_bpmn(data)


def test_bpmn_round_trip_of_steps_and_budgets(draft, tmp_path):
    services.version_edit(
        actor=None,
        version=draft,
        steps=[
            StepSpec("TN", "Tiếp nhận", "desk_officer", Decimal("0.5"), where="receiving",
                     description="Kiểm tra.\nCấp phiếu hẹn.", output="Phiếu hẹn"),
            StepSpec("TD", "Thẩm định", "case_handler", Decimal("5.5"), optional=True),
            StepSpec("KY", "Ký duyệt", "unit_leader", Decimal(1)),
            StepSpec("TKQ", "Trả kết quả", "desk_officer", Decimal(1), where="returning"),
        ],
    )  # fmt: skip
    services.version_activate(actor=None, version=draft)
    path = tmp_path / "v.bpmn"
    call_command(
        "procedure", "export", "1.001193", "--unit", "00070", "--bpmn", str(path),
        stderr=io.StringIO(),
    )  # fmt: skip
    spec = load_bpmn(path.read_bytes())
    assert spec == selectors.version_spec(draft)
    # Import through the command: identical content → nothing new.
    out = io.StringIO()
    call_command("procedure", "import", str(path), stdout=out)
    assert "unchanged" in out.getvalue()
    # Into another unit: a new draft there with the same steps and budgets.
    call_command("procedure", "import", str(path), "--unit", "00004", stdout=io.StringIO())
    other = ProcedureVersion.objects.get(unit__code="00004")
    assert [(s.code, s.budget_hours, s.role) for s in other.steps.all()] == [
        ("TN", Decimal("0.5"), "desk_officer"),
        ("TD", Decimal("5.5"), "case_handler"),
        ("KY", Decimal(1), "unit_leader"),
        ("TKQ", Decimal(1), "desk_officer"),
    ]


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <process id="p" isExecutable="false">
    <laneSet id="ls">
      <lane id="l1" name="Cán bộ một cửa"><flowNodeRef>t1</flowNodeRef></lane>
      <lane id="l2" name="case_handler"><flowNodeRef>t2</flowNodeRef></lane>
    </laneSet>
    <startEvent id="s"/>
    <task id="t1" name="Nhận hồ sơ"><documentation>Thời gian: 2wh</documentation></task>
    <userTask id="t2" name="Xử lý"><documentation>budget: 0.75wd
Xem xét hồ sơ.</documentation></userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>
    <sequenceFlow id="f3" sourceRef="t2" targetRef="e"/>
    GATEWAY
  </process>
</definitions>
"""


def test_bpmn_from_another_tool(tree, birth, tmp_path):
    from govqms.procedures.management.commands.procedure import role_names

    data = FOREIGN.replace("GATEWAY", "").encode()
    with pytest.raises(SpecError, match="procedure"):
        load_bpmn(data, role_names=role_names())
    spec = load_bpmn(
        data, procedure_code="1.001193", unit_code="00070", limit="1wd", role_names=role_names()
    )
    assert [(s.code, s.role, s.budget_hours, s.description) for s in spec.steps] == [
        ("t1", "desk_officer", Decimal(2), ""),
        ("t2", "case_handler", Decimal(6), "Xem xét hồ sơ."),
    ]
    path = tmp_path / "foreign.bpmn"
    path.write_bytes(data)
    out = io.StringIO()
    call_command(
        "procedure", "import", str(path), "--procedure", "1.001193", "--unit", "00070",
        "--limit", "1wd", "--activate", stdout=out,
    )  # fmt: skip
    assert "created (activated)" in out.getvalue()


@pytest.mark.parametrize(
    ("gateway", "message"),
    [
        ('<exclusiveGateway id="g"/>', "exclusiveGateway 'g'.*not supported"),
        ('<sequenceFlow id="f4" sourceRef="t1" targetRef="e"/>', "branches"),
        ('<intermediateCatchEvent id="i"/>', "intermediateCatchEvent 'i'"),
    ],
)
def test_bpmn_outside_the_sequential_subset_is_refused(gateway, message):
    data = FOREIGN.replace("GATEWAY", gateway).encode()
    with pytest.raises(SpecError, match=message):
        load_bpmn(data, procedure_code="1", unit_code="1", limit="1wd")


def test_bpmn_refuses_dtds_and_broken_xml():
    with pytest.raises(SpecError, match="DTD"):
        load_bpmn(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(SpecError, match="not well-formed"):
        load_bpmn(b"<definitions")
    with pytest.raises(SpecError, match="not a BPMN"):
        load_bpmn(b"<x/>")
