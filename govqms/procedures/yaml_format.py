"""The readable file format of a procedure version (YAML). No ORM here.

    procedure: '1.001193'
    name: Thủ tục đăng ký khai sinh
    unit: '00070'
    limit: 1wd
    due_soon: 2wh
    steps:
    - code: TN
      name: Tiếp nhận, kiểm tra hồ sơ
      role: desk_officer
      where: receiving
      budget: 1wh

Reading never builds Python objects from tags (a SafeLoader subclass) and keeps every scalar
as text — `unit: 00070` stays "00070", `procedure: 1.000940` keeps its trailing zero — so the
values are parsed here, and a bad one is reported with its path (`steps[2].budget: …`).
Writing uses yaml.safe_dump (unicode kept, keys in the order above), so export → import →
export gives the same bytes. See docs/procedures.md.
"""

from __future__ import annotations

from decimal import Decimal

import yaml

from .specs import (
    HOURS_PER_DAY,
    SpecError,
    StepSpec,
    VersionLimit,
    VersionSpec,
    format_hours,
    parse_hours,
)

TOP_KEYS = (
    "procedure",
    "name",
    "unit",
    "limit",
    "working_time",
    "due_soon",
    "document_code",
    "notes",
    "steps",
)
STEP_KEYS = (
    "code",
    "name",
    "role",
    "where",
    "other_unit",
    "budget",
    "optional",
    "parallel_group",
    "description",
    "output",
)
_TEXT_ONLY = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader that resolves no numbers, booleans or dates: scalars stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _TEXT_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line text as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


# --- Writing ---------------------------------------------------------------------------------


def spec_to_data(spec: VersionSpec) -> dict:
    data: dict = {
        "procedure": spec.procedure_code,
        "name": spec.procedure_name,
        "unit": spec.unit_code,
        "limit": str(spec.limit),
    }
    if not spec.limit.default_hours:
        data["working_time"] = format_hours(spec.limit.hours)
    data["due_soon"] = format_hours(spec.due_soon_hours)
    if spec.document_code:
        data["document_code"] = spec.document_code
    if spec.notes:
        data["notes"] = spec.notes
    data["steps"] = [_step_to_data(s) for s in spec.steps]
    return data


def _step_to_data(step: StepSpec) -> dict:
    data: dict = {"code": step.code, "name": step.name, "role": step.role, "where": step.where}
    if step.other_unit_code:
        data["other_unit"] = step.other_unit_code
    data["budget"] = format_hours(step.budget_hours)
    if step.optional:
        data["optional"] = True
    if step.parallel_group:
        data["parallel_group"] = step.parallel_group
    if step.description:
        data["description"] = step.description
    if step.output:
        data["output"] = step.output
    return data


def dump_yaml(spec: VersionSpec) -> str:
    return yaml.dump(
        spec_to_data(spec),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )


# --- Reading ---------------------------------------------------------------------------------


def _text(value, path: str, *, required: bool = False, max_length: int | None = None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise SpecError(path, "must be text")
    if required and not value.strip():
        raise SpecError(path, "required")
    if max_length is not None and len(value.strip()) > max_length:
        raise SpecError(path, f"at most {max_length} characters")
    return value


def _flag(value, path: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "false", "no", ""}:
        return value.strip().lower() in {"true", "yes"}
    raise SpecError(path, f"must be true or false, not {value!r}")


def _keys(data: dict, allowed: tuple[str, ...], path: str) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise SpecError(where, f"unknown field (allowed: {', '.join(allowed)})")


def data_to_spec(data) -> VersionSpec:
    if not isinstance(data, dict):
        raise SpecError("", "the file must be a mapping (procedure: …, unit: …, steps: …)")
    _keys(data, TOP_KEYS, "")
    code = _text(data.get("procedure"), "procedure", required=True, max_length=60).strip()
    unit = _text(data.get("unit"), "unit", required=True, max_length=40).strip()
    limit_text = _text(data.get("limit"), "limit", required=True)
    limit = VersionLimit.parse(limit_text, path="limit")
    if data.get("working_time") is not None:
        if limit.unit != "calendar_days":
            raise SpecError("working_time", "only for a limit in calendar days (e.g. 10d)")
        hours = parse_hours(data["working_time"], path="working_time")
        if hours > Decimal(limit.calendar_days) * HOURS_PER_DAY:
            raise SpecError("working_time", f"exceeds the {limit.calendar_days} days of the limit")
        limit = VersionLimit.calendar(limit.calendar_days, hours)
    due_soon = HOURS_PER_DAY
    if data.get("due_soon") is not None:
        due_soon = parse_hours(data["due_soon"], path="due_soon")
    steps_data = data.get("steps")
    if steps_data is None:
        steps_data = []
    if not isinstance(steps_data, list):
        raise SpecError("steps", "must be a list of steps")
    steps = [_step(item, f"steps[{i}]") for i, item in enumerate(steps_data)]
    return VersionSpec(
        procedure_code=code,
        procedure_name=_text(data.get("name"), "name"),
        unit_code=unit,
        limit=limit,
        steps=steps,
        due_soon_hours=due_soon,
        document_code=_text(data.get("document_code"), "document_code", max_length=60).strip(),
        notes=_text(data.get("notes"), "notes"),
    )


def _step(item, path: str) -> StepSpec:
    if not isinstance(item, dict):
        raise SpecError(path, "a step must be a mapping (code: …, name: …, budget: …)")
    _keys(item, STEP_KEYS, path)
    if item.get("budget") is None:
        raise SpecError(f"{path}.budget", "required (e.g. 4wh or 0.5wd)")
    budget = parse_hours(item["budget"], path=f"{path}.budget")
    return StepSpec(
        code=_text(item.get("code"), f"{path}.code", required=True, max_length=30).strip(),
        name=_text(item.get("name"), f"{path}.name", required=True, max_length=300).strip(),
        role=_text(item.get("role"), f"{path}.role", required=True).strip(),
        where=_text(item.get("where"), f"{path}.where").strip() or "competent",
        other_unit_code=_text(item.get("other_unit"), f"{path}.other_unit").strip(),
        budget_hours=budget,
        optional=_flag(item.get("optional"), f"{path}.optional"),
        parallel_group=_text(
            item.get("parallel_group"), f"{path}.parallel_group", max_length=30
        ).strip(),
        description=_text(item.get("description"), f"{path}.description"),
        output=_text(item.get("output"), f"{path}.output", max_length=300).strip(),
    )


def load_yaml(text: str) -> VersionSpec:
    """Parse a version file; raises SpecError with the path of the bad field."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(where, f"not valid YAML: {problem}") from exc
    return data_to_spec(data)
