"""Load Vietnam's administrative divisions into the org tree, idempotently.

Two installed packages are the sources (see docs/org-divisions.md):

* `vietnam-provinces`: today's units (from 1 July 2025): 34 provinces and 3,321
  communes/wards/special zones, with their GSO codes. These become current units coded as the
  GSO does ("01", "00070").
* `vietnam-address-converter`: the units that ceased on 1 July 2025 (old provinces, districts and
  wards) and an old-ward → new-ward mapping. Its codes are its own, not the GSO's, so its new
  units are matched to `vietnam-provinces` by name within the province, and its old units get
  history codes ("H-P19", "H-D275", "H-W1769747") that cannot collide with GSO codes.

`divisions_import` plans every unit and succession first, then writes only what is missing or
changed, with bulk queries and one audit entry for the whole run. Running it again with the
same packages writes nothing.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from govqms.core import generations
from govqms.core.audit import audit_append
from govqms.core.scoping import require

from .models import OrgUnit, UnitSuccession

REFORM_DATE = datetime.date(2025, 7, 1)
PROVINCE_LEGAL_BASIS = "Nghị quyết 202/2025/QH15"
WARD_LEGAL_BASIS = "Nghị quyết của UBTVQH về sắp xếp ĐVHC cấp xã năm 2025"
DISTRICT_LEGAL_BASIS = "Luật Tổ chức chính quyền địa phương năm 2025 (kết thúc cấp huyện)"
HISTORY_PREFIX = "H-"
PERM_MANAGE = "org.manage"  # same permission as govqms.org.services.PERM_MANAGE
BATCH_SIZE = 500
EXAMPLES = 5

CURRENT_WARD_KINDS = {
    "phường": OrgUnit.Kind.WARD,
    "xã": OrgUnit.Kind.COMMUNE,
    "đặc khu": OrgUnit.Kind.SPECIAL_ZONE,
}
OLD_WARD_KINDS = {  # by name prefix, then by the converter's `type`
    "Phường": OrgUnit.Kind.WARD,
    "Xã": OrgUnit.Kind.COMMUNE,
    "Thị trấn": OrgUnit.Kind.TOWNSHIP,
    "phuong": OrgUnit.Kind.WARD,
    "xa": OrgUnit.Kind.COMMUNE,
    "thi-tran": OrgUnit.Kind.TOWNSHIP,
}
# The converter title-cases unit types ("Thị Trấn"); official spelling capitalizes the first word.
PREFIX_SPELLING = {
    "Thành Phố ": "Thành phố ",
    "Thị Trấn ": "Thị trấn ",
    "Thị Xã ": "Thị xã ",
    "Đặc Khu ": "Đặc khu ",
}
TYPE_PREFIXES = (
    "Thành phố ",
    "Tỉnh ",
    "Thị xã ",
    "Thị trấn ",
    "Quận ",
    "Huyện ",
    "Phường ",
    "Xã ",
    "Đặc khu ",
)
UNIT_FIELDS = ("name", "short_name", "kind", "national_code", "valid_from", "valid_to", "source")
SUCCESSION_FIELDS = ("kind", "primary", "legal_basis", "effective_date")


class DivisionImportError(Exception):
    """The import cannot proceed (bad argument, or the tree holds conflicting units)."""


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
# right/left single quotes, modifier apostrophe, grave and acute accents → "'"
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u0060\u00b4", "'"))
# en dash, em dash, hyphen, non-breaking hyphen, minus sign → "-"
_DASHES = str.maketrans(dict.fromkeys("\u2013\u2014\u2010\u2011\u2212", "-"))


def clean_name(name: str) -> str:
    """The name as stored: NFC, single spaces, official capitalization of the unit type."""
    name = " ".join(unicodedata.normalize("NFC", name).split())
    for wrong, right in PREFIX_SPELLING.items():
        if name.startswith(wrong):
            name = right + name[len(wrong) :]
    return name


def bare_name(name: str) -> str:
    """The name without its unit type: "Phường Hoàn Kiếm" → "Hoàn Kiếm"."""
    name = clean_name(name)
    for prefix in TYPE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def name_key(name: str) -> str:
    """A matching key that keeps every letter and tone but ignores spelling conventions.

    Vietnamese names can differ in diacritics alone ("Phú Hựu" and "Phú Hữu" are different
    communes), so diacritics are never dropped. What is ignored: case, spacing, the kind of
    apostrophe or dash, and where the tone mark sits in a syllable ("Hoà"/"Hòa", "Thuỷ"/"Thủy"):
    each syllable's tone mark is moved to the syllable's end.
    """
    text = unicodedata.normalize("NFD", clean_name(name).lower())
    text = text.translate(_APOSTROPHES).translate(_DASHES)
    text = re.sub(r"\s*-\s*", "-", text)
    parts = re.split(r"([\s\-']+)", text)
    out = []
    for part in parts:
        tones = "".join(ch for ch in part if ch in _TONE_MARKS)
        out.append("".join(ch for ch in part if ch not in _TONE_MARKS) + tones)
    return unicodedata.normalize("NFC", "".join(out))


def short_name_for(name: str) -> str:
    bare = bare_name(name)
    return name if bare.isdigit() else bare  # "Phường 1", not "1"


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def _version(dist: str, module) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return getattr(module, "__version__", "?")


def _load_sources():
    try:
        import vietnam_address_converter
        import vietnam_provinces
        from vietnam_address_converter.data import DEFAULT_DATA
    except ImportError as exc:  # pragma: no cover - `make` installs the divisions extra
        raise DivisionImportError(
            _(
                "Thiếu gói dữ liệu đơn vị hành chính (%(error)s). "
                "Cài bằng: pip install 'govqms[divisions]'"
            )
            % {"error": exc}
        ) from exc
    current = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    vp_version = _version("vietnam-provinces", vietnam_provinces)
    vac_version = _version("vietnam-address-converter", vietnam_address_converter)
    mapping_version = DEFAULT_DATA.get("mapping", {}).get("meta", {}).get("version", "?")
    sources = {
        "vietnam-provinces": vp_version,
        "vietnam-provinces data": getattr(vietnam_provinces, "__data_version__", "?"),
        "vietnam-address-converter": vac_version,
        "vietnam-address-converter mapping": mapping_version,
    }
    return current, DEFAULT_DATA, sources


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------


@dataclass
class UnitSpec:
    code: str
    name: str
    kind: str
    parent_code: str | None
    national_code: str = ""
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    source: str = ""
    path: str = ""

    @property
    def short_name(self) -> str:
        return short_name_for(self.name)


@dataclass
class SuccessionSpec:
    predecessor: str  # unit code
    successor: str
    kind: str
    primary: bool
    legal_basis: str


@dataclass
class ImportReport:
    province: str | None = None
    include_history: bool = True
    sources: dict = field(default_factory=dict)
    provinces: int = 0
    wards: int = 0
    wards_by_kind: dict = field(default_factory=dict)
    historical_provinces: int = 0
    historical_districts: int = 0
    historical_wards: int = 0
    successions: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    successions_created: int = 0
    successions_updated: int = 0
    successions_unchanged: int = 0
    matched_exact: int = 0
    matched_normalized: int = 0
    normalized_examples: list = field(default_factory=list)
    unmatched_rows: int = 0
    unmatched_examples: list = field(default_factory=list)
    old_wards_without_successor: int = 0
    skipped_old_units: int = 0
    skipped_examples: list = field(default_factory=list)
    new_wards_without_predecessor: int = 0
    new_wards_without_predecessor_examples: list = field(default_factory=list)
    audit_seq: int | None = None
    seconds: float = 0.0

    @property
    def units(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def historical(self) -> int:
        return self.historical_provinces + self.historical_districts + self.historical_wards

    def counts(self) -> dict:
        """The figures that describe the data (same on every run with the same packages)."""
        return {
            "provinces": self.provinces,
            "wards": self.wards,
            "wards_by_kind": dict(self.wards_by_kind),
            "historical_provinces": self.historical_provinces,
            "historical_districts": self.historical_districts,
            "historical_wards": self.historical_wards,
            "successions": self.successions,
            "unmatched_rows": self.unmatched_rows,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def _example(examples: list, text: str) -> None:
    if len(examples) < EXAMPLES:
        examples.append(text)


class _Planner:
    """Turns the two packages into UnitSpecs (parents first) and SuccessionSpecs."""

    def __init__(self, current, converter, sources, *, province, include_history, report):
        self.current = current
        self.data = converter
        self.report = report
        self.include_history = include_history
        self.vp_source = f"vietnam-provinces {sources['vietnam-provinces']}"
        self.history_source = (
            f"vietnam-address-converter {sources['vietnam-address-converter']}"
            f" (mapping {sources['vietnam-address-converter mapping']})"
        )
        self.units: dict[str, UnitSpec] = {}
        self.successions: list[SuccessionSpec] = []
        self.province_filter = self._province_code(province) if province else None

    # -- helpers ---------------------------------------------------------------------------

    def _province_code(self, code: str) -> str:
        code = str(code).strip()
        if code.isdigit():
            code = code.zfill(2)
        known = {f"{p['code']:02d}" for p in self.current}
        if code not in known:
            raise DivisionImportError(
                _("Không có tỉnh/thành phố mã %(code)s (các mã hợp lệ: %(known)s).")
                % {"code": code, "known": ", ".join(sorted(known))}
            )
        return code

    def _add(self, spec: UnitSpec) -> UnitSpec:
        if spec.code in self.units:
            raise DivisionImportError(
                _("Mã %(code)s xuất hiện hai lần trong dữ liệu nguồn.") % {"code": spec.code}
            )
        parent_path = self.units[spec.parent_code].path if spec.parent_code else "/"
        spec.path = f"{parent_path}{spec.code}/"
        self.units[spec.code] = spec
        return spec

    # -- the plan --------------------------------------------------------------------------

    def build(self) -> None:
        new_provinces = self._match_provinces()
        old_to_new, new_to_old = self._province_succession(new_provinces)
        continuing = {
            new: next(iter(olds))
            for new, olds in new_to_old.items()
            if len(olds) == 1 and len(old_to_new[next(iter(olds))]) == 1
        }
        in_scope = [
            p
            for p in self.current
            if self.province_filter is None or f"{p['code']:02d}" == self.province_filter
        ]
        for p in in_scope:
            code = f"{p['code']:02d}"
            name = clean_name(p["name"])
            if p.get("division_type") == "tỉnh" and not name.startswith("Tỉnh "):
                name = f"Tỉnh {name}"
            self._add(
                UnitSpec(
                    code=code,
                    name=name,
                    kind=OrgUnit.Kind.PROVINCE,
                    parent_code=None,
                    national_code=code,
                    valid_from=None if code in continuing else REFORM_DATE,
                    source=self.vp_source,
                )
            )
            self.report.provinces += 1
        kinds: Counter = Counter()
        for p in in_scope:
            pcode = f"{p['code']:02d}"
            for w in p["wards"]:
                code = f"{w['code']:05d}"
                kind = CURRENT_WARD_KINDS.get(w["division_type"])
                if kind is None:
                    raise DivisionImportError(
                        _("Loại đơn vị cấp xã không rõ: %(type)s (%(name)s)")
                        % {"type": w["division_type"], "name": w["name"]}
                    )
                self._add(
                    UnitSpec(
                        code=code,
                        name=clean_name(w["name"]),
                        kind=kind,
                        parent_code=pcode,
                        national_code=code,
                        valid_from=REFORM_DATE,
                        source=self.vp_source,
                    )
                )
                kinds[kind] += 1
        self.report.wards = sum(kinds.values())
        self.report.wards_by_kind = {str(k): v for k, v in sorted(kinds.items())}
        if self.include_history:
            self._plan_history(new_provinces, old_to_new, continuing, in_scope)

    def _match_provinces(self) -> dict[str, str]:
        """{converter new-province code: GSO province code}."""
        by_bare = {bare_name(p["name"]): f"{p['code']:02d}" for p in self.current}
        by_key = {name_key(k): v for k, v in by_bare.items()}
        result = {}
        for code, p in self.data["newProvinces"].items():
            bare = bare_name(p.get("name_with_type") or p["name"])
            gso = by_bare.get(bare) or by_key.get(name_key(bare))
            if gso is None:
                raise DivisionImportError(
                    _("Không khớp được tỉnh %(name)s của vietnam-address-converter.")
                    % {"name": p["name"]}
                )
            result[code] = gso
        return result

    def _province_succession(self, new_provinces):
        """Which old provinces went into which new ones, from the ward mapping rows."""
        old_to_new: dict[str, Counter] = defaultdict(Counter)
        new_to_old: dict[str, set] = defaultdict(set)
        for row in self.data["mapping"]["rows"]:
            old_code = row["old"]["province_code"]
            gso = new_provinces.get(row["new"]["province_code"])
            if gso is None:
                continue
            old_to_new[old_code][gso] += 1
            new_to_old[gso].add(old_code)
        return old_to_new, new_to_old

    def _ward_matcher(self, new_provinces):
        """converter new-ward code → GSO ward code (or None), counting how each matched."""
        wards_by_province = {
            f"{p['code']:02d}": [(clean_name(w["name"]), f"{w['code']:05d}") for w in p["wards"]]
            for p in self.current
        }
        exact: dict[str, dict[str, str]] = {}
        keyed: dict[str, dict[str, list[str]]] = {}
        for pcode, wards in wards_by_province.items():
            exact[pcode] = {name: code for name, code in wards}
            keyed[pcode] = defaultdict(list)
            for name, code in wards:
                keyed[pcode][name_key(name)].append(code)
        cache: dict[str, str | None] = {}

        def match(conv_code: str) -> str | None:
            if conv_code in cache:
                return cache[conv_code]
            ward = self.data["newWards"].get(conv_code)
            result = None
            if ward is not None:
                pcode = new_provinces.get(ward["parent_code"])
                name = clean_name(ward["name_with_type"])
                if pcode is not None:
                    result = exact[pcode].get(name)
                    if result is not None:
                        self.report.matched_exact += 1
                    else:
                        candidates = keyed[pcode].get(name_key(name), [])
                        if len(candidates) == 1:
                            result = candidates[0]
                            self.report.matched_normalized += 1
                            gso_name = next(n for n, c in wards_by_province[pcode] if c == result)
                            _example(self.report.normalized_examples, f"{name} = {gso_name}")
            cache[conv_code] = result
            return result

        return match

    def _plan_history(self, new_provinces, old_to_new, continuing, in_scope) -> None:
        data = self.data
        scope_codes = {f"{p['code']:02d}" for p in in_scope}
        continuing_old = {old: new for new, old in continuing.items()}
        old_in_scope = sorted(
            (old for old, news in old_to_new.items() if set(news) & scope_codes),
            key=lambda c: int(c) if c.isdigit() else c,
        )
        match_ward = self._ward_matcher(new_provinces)
        old_provinces = data["oldProvinces"]
        old_districts = data["oldDistricts"]

        # Provinces that ceased, and what they merged into.
        province_unit: dict[str, str] = {}  # converter old-province code → unit code (parent)
        for old in old_in_scope:
            if old in continuing_old:
                province_unit[old] = continuing_old[old]
                continue
            info = old_provinces.get(old, {})
            name = info.get("name_with_type") or info.get("name") or old
            spec = self._add(
                UnitSpec(
                    code=f"{HISTORY_PREFIX}P{old}",
                    name=clean_name(name),
                    kind=OrgUnit.Kind.PROVINCE,
                    parent_code=None,
                    valid_to=REFORM_DATE,
                    source=self.history_source,
                )
            )
            province_unit[old] = spec.code
            self.report.historical_provinces += 1
            targets = [gso for gso, _n in old_to_new[old].most_common() if gso in self.units]
            for i, gso in enumerate(targets):
                self.successions.append(
                    SuccessionSpec(
                        spec.code, gso, UnitSuccession.Kind.MERGE, i == 0, PROVINCE_LEGAL_BASIS
                    )
                )

        # Districts and wards named by the mapping rows: the state just before 1 July 2025.
        rows = [r for r in data["mapping"]["rows"] if r["old"]["province_code"] in province_unit]
        district_specs: dict[str, UnitSpec] = {}
        ward_successors: dict[str, list[str]] = defaultdict(list)
        district_successors: dict[str, list[str]] = defaultdict(list)
        ward_names: dict[str, str] = {}
        predecessors_of: dict[str, set] = defaultdict(set)
        for row in rows:
            old, new = row["old"], row["new"]
            dcode = old["district_code"]
            if dcode not in district_specs:
                info = old_districts.get(dcode, {})
                name = old.get("district_name") or info.get("name_with_type") or dcode
                district_specs[dcode] = self._add(
                    UnitSpec(
                        code=f"{HISTORY_PREFIX}D{dcode}",
                        name=clean_name(name),
                        kind=OrgUnit.Kind.DISTRICT,
                        parent_code=province_unit[old["province_code"]],
                        valid_to=REFORM_DATE,
                        source=self.history_source,
                    )
                )
                self.report.historical_districts += 1
            successor = match_ward(new["ward_code"])
            if successor is None:
                self.report.unmatched_rows += 1
                _example(
                    self.report.unmatched_examples,
                    f"{old.get('ward_name') or old.get('district_name')} → {new['ward_name']}"
                    f" ({new['province_name']})",
                )
            wcode = old["ward_code"]
            if not wcode:
                # A district that became one new unit as a whole (the island districts that
                # became special zones): the district itself is the predecessor.
                if successor and successor not in district_successors[dcode]:
                    district_successors[dcode].append(successor)
                continue
            code = f"{HISTORY_PREFIX}W{wcode}"
            if code not in self.units:
                name = clean_name(
                    old["ward_name"] or data["oldWards"].get(wcode, {}).get("name_with_type", wcode)
                )
                kind = self._old_ward_kind(name, data["oldWards"].get(wcode, {}).get("type"))
                self._add(
                    UnitSpec(
                        code=code,
                        name=name,
                        kind=kind,
                        parent_code=district_specs[dcode].code,
                        valid_to=REFORM_DATE,
                        source=self.history_source,
                    )
                )
                ward_names[code] = name
                self.report.historical_wards += 1
            if successor and successor not in ward_successors[code]:
                ward_successors[code].append(successor)
                predecessors_of[successor].add(code)

        for code, successors in ward_successors.items():
            primary = self._primary(ward_names[code], successors)
            for succ in successors:
                if len(successors) > 1:
                    kind = UnitSuccession.Kind.SPLIT
                elif len(predecessors_of[succ]) > 1:
                    kind = UnitSuccession.Kind.MERGE
                elif name_key(bare_name(ward_names[code])) != name_key(
                    bare_name(self.units[succ].name)
                ):
                    kind = UnitSuccession.Kind.RENAME
                else:
                    kind = UnitSuccession.Kind.REORGANIZE
                self.successions.append(
                    SuccessionSpec(code, succ, kind, succ == primary, WARD_LEGAL_BASIS)
                )
        self.report.old_wards_without_successor = sum(
            1 for code in ward_names if not ward_successors.get(code)
        )

        # Districts were abolished: their work passed to the province (or, for island
        # districts, to the special zone they became).
        for dcode, spec in district_specs.items():
            targets = district_successors.get(dcode) or [
                self._current_province_of(spec.parent_code, old_to_new)
            ]
            for i, target in enumerate(targets):
                self.successions.append(
                    SuccessionSpec(
                        spec.code,
                        target,
                        UnitSuccession.Kind.REORGANIZE,
                        i == 0,
                        DISTRICT_LEGAL_BASIS,
                    )
                )

        self._count_skipped(province_unit, rows)
        self._count_unclaimed_new_wards(rows, match_ward, scope_codes)

    def _current_province_of(self, parent_code: str, old_to_new) -> str:
        if not parent_code.startswith(HISTORY_PREFIX):
            return parent_code  # a continuing province
        old = parent_code[len(HISTORY_PREFIX) + 1 :]
        return old_to_new[old].most_common(1)[0][0]

    @staticmethod
    def _old_ward_kind(name: str, converter_type: str | None) -> str:
        for prefix in ("Phường", "Xã", "Thị trấn"):
            if name.startswith(prefix + " "):
                return OLD_WARD_KINDS[prefix]
        return OLD_WARD_KINDS.get(converter_type or "", OrgUnit.Kind.COMMUNE)

    def _primary(self, old_name: str, successors: list[str]) -> str:
        """The successor that carries the old ward's history in roll-ups.

        The one new ward that bears the old ward's name, if exactly one does; otherwise the
        first successor in the converter's mapping order.
        """
        key = name_key(bare_name(old_name))
        namesakes = [s for s in successors if name_key(bare_name(self.units[s].name)) == key]
        return namesakes[0] if len(namesakes) == 1 else successors[0]

    def _count_skipped(self, province_unit, rows) -> None:
        """Old units the converter lists but no mapping row names: ceased before the reform."""
        mapped_wards = {r["old"]["ward_code"] for r in rows}
        mapped_districts = {r["old"]["district_code"] for r in rows}
        districts = self.data["oldDistricts"]
        for code, d in districts.items():
            if d.get("parent_code") in province_unit and code not in mapped_districts:
                self.report.skipped_old_units += 1
                _example(self.report.skipped_examples, d.get("path_with_type", code))
        for code, w in self.data["oldWards"].items():
            district = districts.get(w.get("parent_code"), {})
            if district.get("parent_code") in province_unit and code not in mapped_wards:
                self.report.skipped_old_units += 1
                _example(self.report.skipped_examples, w.get("path_with_type", code))

    def _count_unclaimed_new_wards(self, rows, match_ward, scope_codes) -> None:
        claimed = {match_ward(r["new"]["ward_code"]) for r in rows}
        for p in self.current:
            pcode = f"{p['code']:02d}"
            if pcode not in scope_codes:
                continue
            for w in p["wards"]:
                if f"{w['code']:05d}" not in claimed:
                    self.report.new_wards_without_predecessor += 1
                    _example(
                        self.report.new_wards_without_predecessor_examples,
                        f"{clean_name(w['name'])} ({w['code']:05d})",
                    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing_by_path(paths: list[str]) -> dict[str, OrgUnit]:
    found = {}
    for chunk in _chunks(paths):
        for unit in OrgUnit.objects.filter(path__in=chunk):
            found[unit.path] = unit
    return found


def _sync_units(specs: list[UnitSpec], report: ImportReport) -> dict[str, int]:
    """Create missing units and update changed ones; return {code: id}."""
    existing = _existing_by_path([s.path for s in specs])
    conflicts = []
    for spec in specs:
        unit = existing.get(spec.path)
        if unit is not None and (unit.valid_to is None) != (spec.valid_to is None):
            conflicts.append(
                _("%(path)s đã có nhưng hiệu lực khác (hết hiệu lực: %(valid_to)s).")
                % {"path": spec.path, "valid_to": unit.valid_to or "-"}
            )
    new_current_codes = [s.code for s in specs if s.path not in existing and s.valid_to is None]
    for chunk in _chunks(new_current_codes):
        for unit in OrgUnit.objects.current().filter(code__in=chunk):
            conflicts.append(
                _("Mã %(code)s đã được dùng cho đơn vị %(name)s (%(path)s).")
                % {"code": unit.code, "name": unit.name, "path": unit.path}
            )
    if conflicts:
        more = len(conflicts) - EXAMPLES
        message = "; ".join(conflicts[:EXAMPLES]) + (f" (+{more})" if more > 0 else "")
        raise DivisionImportError(
            _("Cây tổ chức có đơn vị xung đột với dữ liệu nhập: %(details)s") % {"details": message}
        )

    ids = {spec.code: existing[spec.path].pk for spec in specs if spec.path in existing}
    to_update = []
    for spec in specs:
        unit = existing.get(spec.path)
        if unit is None:
            continue
        changed = False
        for name in UNIT_FIELDS:
            value = getattr(spec, name)
            if getattr(unit, name) != value:
                setattr(unit, name, value)
                changed = True
        if changed:
            to_update.append(unit)
        else:
            report.unchanged += 1
    if to_update:
        OrgUnit.objects.bulk_update(to_update, UNIT_FIELDS, batch_size=BATCH_SIZE)
        report.updated += len(to_update)

    # Parents first: a unit's depth is fixed by its path.
    missing = sorted((s for s in specs if s.path not in existing), key=lambda s: s.path.count("/"))
    by_depth: dict[int, list[UnitSpec]] = defaultdict(list)
    for spec in missing:
        by_depth[spec.path.count("/") - 2].append(spec)
    for depth in sorted(by_depth):
        objs = [
            OrgUnit(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                parent_id=ids[spec.parent_code] if spec.parent_code else None,
                national_code=spec.national_code,
                valid_from=spec.valid_from,
                valid_to=spec.valid_to,
                source=spec.source,
                path=spec.path,
                depth=depth,
            )
            for spec in by_depth[depth]
        ]
        created = OrgUnit.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        if any(obj.pk is None for obj in created):  # backends that cannot return ids
            fetched = _existing_by_path([obj.path for obj in created])
            for obj in created:
                obj.pk = fetched[obj.path].pk
        for obj in created:
            ids[obj.code] = obj.pk
        report.created += len(created)
    return ids


def _sync_successions(specs: list[SuccessionSpec], ids: dict[str, int], report: ImportReport):
    wanted = {(ids[s.predecessor], ids[s.successor]): s for s in specs}
    predecessor_ids = sorted({pair[0] for pair in wanted})
    existing: dict[tuple[int, int], UnitSuccession] = {}
    for chunk in _chunks(predecessor_ids):
        for link in UnitSuccession.objects.filter(predecessor_id__in=chunk):
            existing[(link.predecessor_id, link.successor_id)] = link
    to_create, to_update = [], []
    for pair, spec in wanted.items():
        values = {
            "kind": spec.kind,
            "primary": spec.primary,
            "legal_basis": spec.legal_basis,
            "effective_date": REFORM_DATE,
        }
        link = existing.get(pair)
        if link is None:
            to_create.append(UnitSuccession(predecessor_id=pair[0], successor_id=pair[1], **values))
            continue
        changed = [name for name, value in values.items() if getattr(link, name) != value]
        for name in changed:
            setattr(link, name, values[name])
        if changed:
            to_update.append(link)
        else:
            report.successions_unchanged += 1
    # Links someone else recorded for our predecessors must not compete for "primary".
    for pair, link in existing.items():
        if pair not in wanted and link.primary:
            link.primary = False
            to_update.append(link)
    if to_create:
        UnitSuccession.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        UnitSuccession.objects.bulk_update(to_update, SUCCESSION_FIELDS, batch_size=BATCH_SIZE)
    report.successions_created = len(to_create)
    report.successions_updated = len(to_update)


@transaction.atomic
def divisions_import(
    *, actor, include_history: bool = True, province: str | None = None
) -> ImportReport:
    """Bring the org tree's administrative divisions in line with the installed packages.

    `actor=None` is the system (CLI); a person needs org.manage over every top-level unit the
    import writes. `province` (GSO code, e.g. "01") limits the import to one of today's
    provinces and the old units that became part of it. Raises DivisionImportError (nothing
    written) when the arguments are wrong or the tree holds conflicting units.
    """
    started = time.monotonic()
    current, converter, sources = _load_sources()
    report = ImportReport(province=None, include_history=include_history, sources=sources)
    planner = _Planner(
        current,
        converter,
        sources,
        province=province,
        include_history=include_history,
        report=report,
    )
    report.province = planner.province_filter
    planner.build()
    specs = list(planner.units.values())
    report.successions = len(planner.successions)

    if actor is not None:
        for root in sorted({s.path for s in specs if s.parent_code is None}):
            require(actor, PERM_MANAGE, root)

    ids = _sync_units(specs, report)
    _sync_successions(planner.successions, ids, report)
    generations.bump("org")  # bulk writes send no signals

    if report.created or report.updated or report.successions_created or report.successions_updated:
        label = " + ".join(f"{k} {v}" for k, v in sources.items() if k.count(" ") == 0)
        scope_path = f"/{report.province}/" if report.province else ""
        entry = audit_append(
            actor=actor,
            action="import",
            object_type="org.orgunit",
            object_label=label[:255],
            unit_path=scope_path,
            changes={
                **report.counts(),
                "province": report.province,
                "include_history": include_history,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "successions_created": report.successions_created,
                "successions_updated": report.successions_updated,
                "sources": sources,
            },
        )
        report.audit_seq = entry.seq
    report.seconds = round(time.monotonic() - started, 2)
    return report
