"""Every runtime dependency allows an Apache-2.0 project (extras are checked by hand, see docs)."""

import importlib.metadata as metadata
import re

ALLOWED = re.compile(
    r"\b(MIT|BSD|Apache|ISC|PSF|Python Software Foundation|Unlicense|0BSD|Zlib|MPL|LGPL|"
    r"Mozilla Public License|GNU Lesser General Public License)\b",
    re.IGNORECASE,
)
GPL_ONLY = re.compile(r"(?<!L)GPL|GNU General Public License|AGPL|Affero", re.IGNORECASE)


def _licence_text(dist: str) -> str:
    md = metadata.metadata(dist)
    parts = [md.get("License-Expression") or "", (md.get("License") or "")[:200]]
    parts += [c for c in md.get_all("Classifier") or [] if c.startswith("License")]
    return " ".join(parts)


def _runtime_requirements() -> list[str]:
    names = []
    for req in metadata.requires("govqms") or []:
        if "extra ==" in req:
            continue
        names.append(re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0])
    return names


def test_runtime_dependencies_have_compatible_licences():
    names = _runtime_requirements()
    assert "Django" in names and "django-ninja" in names
    bad = {}
    for name in names:
        text = _licence_text(name)
        if not ALLOWED.search(text) or (GPL_ONLY.search(text) and "LGPL" not in text.upper()):
            bad[name] = text
    assert bad == {}


def test_gpl_divisions_package_is_not_a_runtime_dependency():
    assert "vietnam-provinces" not in _runtime_requirements()
