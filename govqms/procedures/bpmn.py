"""BPMN 2.0 export of a procedure version, and import of the sequential subset. No ORM here.

Export: one process in a pool; a lane per role; start event → one user task per step → end
event, joined by sequence flows; a parallel group becomes a parallel gateway split and join
around its steps. Everything GovQMS needs to read the file back (codes, budgets, roles, the
limit) sits in `extensionElements` in the `urn:govqms:bpmn:1` namespace; the budget and the
description are also in each task's `documentation`, so other modelers show them. A simple
diagram (BPMNDI) is written so that bpmn.io / Camunda Modeler can open the file.

Import reads only the sequential subset (one start event → tasks → one end event, no gateways,
no branches); anything else is refused with the element that is not supported. Files from other
tools work too: the role comes from the task's lane (named after a role code or its Vietnamese
label) and the budget from a `Thời gian: 4wh` (or `budget: 4wh`) line in the documentation.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .specs import (
    HOURS_PER_DAY,
    SpecError,
    StepSpec,
    VersionLimit,
    VersionSpec,
    format_hours,
    parse_hours,
)

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
GQ = "urn:govqms:bpmn:1"

for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("govqms", GQ)):
    ET.register_namespace(_prefix, _uri)

TASK_TAGS = {"task", "userTask", "manualTask"}
IGNORED_TAGS = {
    "documentation",
    "extensionElements",
    "laneSet",
    "sequenceFlow",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "group",
    "property",
    "ioSpecification",
}
_BUDGET_LINE = re.compile(r"^\s*(?:thời gian|budget)\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)

# Shape sizes for the diagram.
TASK_W, TASK_H = 100, 80
EVENT = 36
GATEWAY = 50
COLUMN = 150
LANE_H = 130
POOL_X, POOL_Y, POOL_LABEL, LANE_LABEL = 100, 80, 30, 30


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_id(prefix: str, text: str, used: set[str]) -> str:
    base = f"{prefix}_{re.sub(r'[^A-Za-z0-9_.-]', '_', text) or 'x'}"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


# --- Export ----------------------------------------------------------------------------------


@dataclass
class _Node:
    id: str
    kind: str  # start, end, task, split, join
    lane: str
    column: int
    row: int = 0
    step: StepSpec | None = None
    name: str = ""
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


def _layout(spec: VersionSpec) -> tuple[list[_Node], list[tuple[str, str, str]]]:
    """Nodes (with lane, column and row inside the lane) and flows (id, source, target)."""
    used: set[str] = set()
    first_role = spec.steps[0].role if spec.steps else "desk_officer"
    last_role = spec.steps[-1].role if spec.steps else first_role
    nodes = [_Node("StartEvent_1", "start", first_role, 0, name="Tiếp nhận hồ sơ")]
    used.add("StartEvent_1")
    # Each entry of `chain` is a list of node ids that run side by side.
    chain: list[list[_Node]] = [[nodes[0]]]
    column = 1
    i = 0
    steps = spec.steps
    while i < len(steps):
        group = steps[i].parallel_group
        members = [steps[i]]
        if group:
            while i + len(members) < len(steps) and steps[i + len(members)].parallel_group == group:
                members.append(steps[i + len(members)])
        if group and len(members) > 1:
            split_id = _xml_id("Gateway", f"{group}_split", used)
            split = _Node(split_id, "split", members[0].role, column)
            column += 1
            rows: dict[str, int] = {}
            tasks = []
            for step in members:
                row = rows.get(step.role, 0)
                rows[step.role] = row + 1
                tasks.append(
                    _Node(_xml_id("Task", step.code, used), "task", step.role, column, row, step)
                )
            column += 1
            join_id = _xml_id("Gateway", f"{group}_join", used)
            join = _Node(join_id, "join", members[0].role, column)
            column += 1
            chain += [[split], tasks, [join]]
            nodes += [split, *tasks, join]
        else:
            task = _Node(_xml_id("Task", steps[i].code, used), "task", steps[i].role, column, 0)
            task.step = steps[i]
            column += 1
            chain.append([task])
            nodes.append(task)
        i += len(members)
    end = _Node("EndEvent_1", "end", last_role, column, name="Trả kết quả")
    chain.append([end])
    nodes.append(end)
    flows = []
    for left, right in itertools.pairwise(chain):
        for source in left:
            for target in right:
                flow_id = f"Flow_{len(flows) + 1}"
                flows.append((flow_id, source.id, target.id))
                source.outgoing.append(flow_id)
                target.incoming.append(flow_id)
    return nodes, flows


def dump_bpmn(spec: VersionSpec, *, role_label=lambda role: role) -> bytes:
    """The version as a BPMN 2.0 XML document (UTF-8 bytes)."""
    nodes, flows = _layout(spec)
    roles: list[str] = []
    for node in nodes:
        if node.lane not in roles:
            roles.append(node.lane)
    root = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "Definitions_1",
            "targetNamespace": "urn:govqms:procedure",
            "exporter": "GovQMS",
            "exporterVersion": "1",
        },
    )
    collab = ET.SubElement(root, _q(BPMN, "collaboration"), {"id": "Collaboration_1"})
    title = f"{spec.procedure_code} {spec.procedure_name}".strip()
    ET.SubElement(
        collab,
        _q(BPMN, "participant"),
        {"id": "Participant_1", "name": f"{title} ({spec.unit_code})", "processRef": "Process_1"},
    )
    process = ET.SubElement(
        root,
        _q(BPMN, "process"),
        {"id": "Process_1", "name": title, "isExecutable": "false"},
    )
    doc = f"Thời hạn: {spec.limit}"
    if spec.notes:
        doc += f"\n\n{spec.notes}"
    ET.SubElement(process, _q(BPMN, "documentation")).text = doc
    ext = ET.SubElement(process, _q(BPMN, "extensionElements"))
    attrs = {
        "procedure": spec.procedure_code,
        "unit": spec.unit_code,
        "limit": str(spec.limit),
        "dueSoon": format_hours(spec.due_soon_hours),
    }
    if not spec.limit.default_hours:
        attrs["workingTime"] = format_hours(spec.limit.hours)
    if spec.document_code:
        attrs["documentCode"] = spec.document_code
    version = ET.SubElement(ext, _q(GQ, "version"), attrs)
    if spec.procedure_name:
        ET.SubElement(version, _q(GQ, "name")).text = spec.procedure_name
    if spec.notes:
        ET.SubElement(version, _q(GQ, "notes")).text = spec.notes
    lane_set = ET.SubElement(process, _q(BPMN, "laneSet"), {"id": "LaneSet_1"})
    lane_ids = {}
    used_lanes: set[str] = set()
    for role in roles:
        lane_ids[role] = _xml_id("Lane", role, used_lanes)
        lane = ET.SubElement(
            lane_set, _q(BPMN, "lane"), {"id": lane_ids[role], "name": str(role_label(role))}
        )
        lane_ext = ET.SubElement(lane, _q(BPMN, "extensionElements"))
        ET.SubElement(lane_ext, _q(GQ, "lane"), {"role": role})
        for node in nodes:
            if node.lane == role:
                ET.SubElement(lane, _q(BPMN, "flowNodeRef")).text = node.id
    for node in nodes:
        _node_element(process, node)
    for flow_id, source, target in flows:
        ET.SubElement(
            process,
            _q(BPMN, "sequenceFlow"),
            {"id": flow_id, "sourceRef": source, "targetRef": target},
        )
    _diagram(root, nodes, flows, roles, lane_ids)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _node_element(process: ET.Element, node: _Node) -> None:
    if node.kind == "start":
        element = ET.SubElement(process, _q(BPMN, "startEvent"), {"id": node.id, "name": node.name})
    elif node.kind == "end":
        element = ET.SubElement(process, _q(BPMN, "endEvent"), {"id": node.id, "name": node.name})
    elif node.kind in {"split", "join"}:
        element = ET.SubElement(process, _q(BPMN, "parallelGateway"), {"id": node.id})
    else:
        step = node.step
        element = ET.SubElement(process, _q(BPMN, "userTask"), {"id": node.id, "name": step.name})
        text = f"Thời gian: {format_hours(step.budget_hours)}"
        if step.optional:
            text += " (không bắt buộc)"
        if step.description:
            text += f"\n\n{step.description}"
        ET.SubElement(element, _q(BPMN, "documentation")).text = text
        ext = ET.SubElement(element, _q(BPMN, "extensionElements"))
        attrs = {
            "code": step.code,
            "role": step.role,
            "where": step.where,
            "budget": format_hours(step.budget_hours),
        }
        if step.optional:
            attrs["optional"] = "true"
        if step.parallel_group:
            attrs["parallelGroup"] = step.parallel_group
        if step.other_unit_code:
            attrs["otherUnit"] = step.other_unit_code
        if step.output:
            attrs["output"] = step.output
        gq_step = ET.SubElement(ext, _q(GQ, "step"), attrs)
        if step.description:
            ET.SubElement(gq_step, _q(GQ, "description")).text = step.description
    for flow_id in node.incoming:
        ET.SubElement(element, _q(BPMN, "incoming")).text = flow_id
    for flow_id in node.outgoing:
        ET.SubElement(element, _q(BPMN, "outgoing")).text = flow_id


def _diagram(root, nodes, flows, roles, lane_ids) -> None:
    rows = {role: 1 + max((n.row for n in nodes if n.lane == role), default=0) for role in roles}
    lane_top, y = {}, POOL_Y
    for role in roles:
        lane_top[role] = y
        y += LANE_H * rows[role]
    columns = 1 + max(n.column for n in nodes)
    width = POOL_LABEL + LANE_LABEL + 40 + columns * COLUMN
    height = y - POOL_Y
    diagram = ET.SubElement(root, _q(BPMNDI, "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(
        diagram, _q(BPMNDI, "BPMNPlane"), {"id": "BPMNPlane_1", "bpmnElement": "Collaboration_1"}
    )

    def shape(element_id, x, y, w, h, **extra):
        node = ET.SubElement(
            plane,
            _q(BPMNDI, "BPMNShape"),
            {"id": f"{element_id}_di", "bpmnElement": element_id, **extra},
        )
        ET.SubElement(
            node, _q(DC, "Bounds"), {"x": str(x), "y": str(y), "width": str(w), "height": str(h)}
        )

    shape("Participant_1", POOL_X, POOL_Y, width, height, isHorizontal="true")
    for role in roles:
        shape(
            lane_ids[role],
            POOL_X + POOL_LABEL,
            lane_top[role],
            width - POOL_LABEL,
            LANE_H * rows[role],
            isHorizontal="true",
        )
    centres = {}
    left = POOL_X + POOL_LABEL + LANE_LABEL + 20
    for node in nodes:
        cx = left + node.column * COLUMN + COLUMN // 2
        cy = lane_top[node.lane] + node.row * LANE_H + LANE_H // 2
        w, h = {
            "task": (TASK_W, TASK_H),
            "start": (EVENT, EVENT),
            "end": (EVENT, EVENT),
        }.get(node.kind, (GATEWAY, GATEWAY))
        shape(node.id, cx - w // 2, cy - h // 2, w, h)
        centres[node.id] = (cx, cy, w)
    for flow_id, source, target in flows:
        sx, sy, sw = centres[source]
        tx, ty, tw = centres[target]
        edge = ET.SubElement(
            plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{flow_id}_di", "bpmnElement": flow_id}
        )
        x1, x2 = sx + sw // 2, tx - tw // 2
        points = [(x1, sy), (x2, ty)] if sy == ty else [(x1, sy), ((x1 + x2) // 2, sy)]
        if sy != ty:
            points += [((x1 + x2) // 2, ty), (x2, ty)]
        for x, y in points:
            ET.SubElement(edge, _q(DI, "waypoint"), {"x": str(x), "y": str(y)})


# --- Import ----------------------------------------------------------------------------------


def _parse(data: bytes) -> ET.Element:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise SpecError("", "not accepted: the file declares a DTD or entities")
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD, hence no entity expansion
    except ET.ParseError as exc:
        line, column = exc.position
        raise SpecError(f"line {line}, column {column + 1}", f"not well-formed XML: {exc}") from exc


def _describe(element: ET.Element) -> str:
    name = element.get("name")
    return f"{_local(element.tag)} '{element.get('id', '?')}'" + (f" ({name})" if name else "")


def _roles_by_lane(process: ET.Element, role_names: dict[str, str]) -> dict[str, str]:
    """flow node id → role, from the lanes (govqms:lane role=…, or a lane named after a role)."""
    out = {}
    for lane in process.iter(_q(BPMN, "lane")):
        marker = lane.find(f"{_q(BPMN, 'extensionElements')}/{_q(GQ, 'lane')}")
        role = marker.get("role") if marker is not None else None
        if not role:
            role = role_names.get((lane.get("name") or "").strip().lower(), "")
        for ref in lane.findall(_q(BPMN, "flowNodeRef")):
            if role and ref.text:
                out[ref.text.strip()] = role
    return out


def load_bpmn(
    data: bytes,
    *,
    procedure_code: str = "",
    unit_code: str = "",
    limit: str = "",
    role_names: dict[str, str] | None = None,
) -> VersionSpec:
    """Read a sequential BPMN process into a VersionSpec.

    `procedure_code`, `unit_code` and `limit` fill in (or override) what the file's
    govqms:version element says. `role_names` maps lower-cased lane names to role codes.
    Raises SpecError naming the element that cannot be read.
    """
    root = _parse(data)
    if root.tag != _q(BPMN, "definitions"):
        raise SpecError("definitions", "not a BPMN 2.0 document (root must be bpmn:definitions)")
    processes = [p for p in root.findall(_q(BPMN, "process")) if len(p)]
    with_nodes = [p for p in processes if any(_local(c.tag) not in IGNORED_TAGS for c in p)]
    if len(with_nodes) != 1:
        raise SpecError(
            "process", f"expected exactly one process with flow nodes, found {len(with_nodes)}"
        )
    process = with_nodes[0]
    nodes: dict[str, ET.Element] = {}
    starts, ends = [], []
    for child in process:
        tag = _local(child.tag)
        if tag in IGNORED_TAGS:
            continue
        if tag == "startEvent":
            starts.append(child)
        elif tag == "endEvent":
            ends.append(child)
        elif tag not in TASK_TAGS:
            raise SpecError(
                _describe(child),
                "not supported: the import reads only start event → tasks → end event "
                "(no gateways, sub-processes or intermediate events)",
            )
        if child.get("id") is None:
            raise SpecError(tag, "has no id")
        nodes[child.get("id")] = child
        for sub in child:
            if _local(sub.tag) in {"eventDefinitionRef"} or _local(sub.tag).endswith(
                "EventDefinition"
            ):
                raise SpecError(_describe(child), "event definitions are not supported")
    if len(starts) != 1 or len(ends) != 1:
        raise SpecError(
            "process",
            f"expected one start event and one end event, found {len(starts)} and {len(ends)}",
        )
    following: dict[str, list[str]] = {}
    incoming: dict[str, int] = {}
    for flow in process.findall(_q(BPMN, "sequenceFlow")):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source not in nodes or target not in nodes:
            raise SpecError(_describe(flow), "refers to an element that is not in the process")
        if flow.find(_q(BPMN, "conditionExpression")) is not None:
            raise SpecError(_describe(flow), "conditional flows are not supported")
        following.setdefault(source, []).append(target)
        incoming[target] = incoming.get(target, 0) + 1
    for node_id, targets in following.items():
        if len(targets) > 1:
            raise SpecError(
                _describe(nodes[node_id]), "branches (more than one outgoing flow) not supported"
            )
    for node_id, count in incoming.items():
        if count > 1:
            raise SpecError(
                _describe(nodes[node_id]), "joins (more than one incoming flow) not supported"
            )
    order: list[ET.Element] = []
    current = starts[0].get("id")
    seen = {current}
    while True:
        nxt = following.get(current, [])
        if not nxt:
            raise SpecError(_describe(nodes[current]), "the flow stops before the end event")
        current = nxt[0]
        if current in seen:
            raise SpecError(_describe(nodes[current]), "loops are not supported")
        seen.add(current)
        if nodes[current] is ends[0]:
            break
        order.append(nodes[current])
    unreached = [n for n in nodes.values() if n.get("id") not in seen]
    if unreached:
        raise SpecError(_describe(unreached[0]), "is not on the path from start to end")
    lane_roles = _roles_by_lane(process, role_names or {})
    steps = [_step(task, i, lane_roles) for i, task in enumerate(order)]
    return _spec(process, steps, procedure_code, unit_code, limit)


def _step(task: ET.Element, index: int, lane_roles: dict[str, str]) -> StepSpec:
    where = f"tasks[{index}] {_describe(task)}"
    ext = task.find(f"{_q(BPMN, 'extensionElements')}/{_q(GQ, 'step')}")
    attrs = dict(ext.attrib) if ext is not None else {}
    doc_el = task.find(_q(BPMN, "documentation"))
    documentation = (doc_el.text or "") if doc_el is not None else ""
    budget_text = attrs.get("budget")
    if budget_text is None:
        match = _BUDGET_LINE.search(documentation)
        if not match:
            raise SpecError(
                f"{where}.budget", "no time budget (govqms:step budget, or 'Thời gian: 4wh')"
            )
        budget_text = match.group(1)
    budget = parse_hours(budget_text, path=f"{where}.budget")
    role = attrs.get("role") or lane_roles.get(task.get("id"), "")
    if not role:
        raise SpecError(f"{where}.role", "no role: put the task in a lane named after a role")
    if ext is not None:
        desc_el = ext.find(_q(GQ, "description"))
        description = (desc_el.text or "") if desc_el is not None else ""
    else:
        description = _BUDGET_LINE.sub("", documentation, count=1).strip()
    code = attrs.get("code") or task.get("id")
    return StepSpec(
        code=code,
        name=(task.get("name") or code).strip(),
        role=role,
        budget_hours=budget,
        where=attrs.get("where") or "competent",
        optional=attrs.get("optional", "false").lower() == "true",
        parallel_group=attrs.get("parallelGroup", ""),
        other_unit_code=attrs.get("otherUnit", ""),
        description=description,
        output=attrs.get("output", ""),
    )


def _spec(process, steps, procedure_code, unit_code, limit_text) -> VersionSpec:
    version = process.find(f"{_q(BPMN, 'extensionElements')}/{_q(GQ, 'version')}")
    attrs = dict(version.attrib) if version is not None else {}
    code = procedure_code or attrs.get("procedure", "")
    unit = unit_code or attrs.get("unit", "")
    limit_text = limit_text or attrs.get("limit", "")
    if not code:
        raise SpecError("procedure", "the file names no procedure: give its code")
    if not unit:
        raise SpecError("unit", "the file names no unit: give the unit code")
    if not limit_text:
        raise SpecError("limit", "the file has no time limit: give one (e.g. 5wd, 10d)")
    limit = VersionLimit.parse(limit_text, path="limit")
    if attrs.get("workingTime") and limit.unit == "calendar_days":
        limit = VersionLimit.calendar(
            limit.calendar_days, parse_hours(attrs["workingTime"], path="workingTime")
        )
    name_el = version.find(_q(GQ, "name")) if version is not None else None
    notes_el = version.find(_q(GQ, "notes")) if version is not None else None
    due_soon = attrs.get("dueSoon")
    return VersionSpec(
        procedure_code=code,
        unit_code=unit,
        limit=limit,
        steps=steps,
        procedure_name=(name_el.text or "") if name_el is not None else process.get("name", ""),
        due_soon_hours=parse_hours(due_soon, path="dueSoon") if due_soon else HOURS_PER_DAY,
        document_code=attrs.get("documentCode", ""),
        notes=(notes_el.text or "") if notes_el is not None else "",
    )
