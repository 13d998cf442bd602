"""The translation catalogs: complete, in step with the source, compiling, and served by default.

Vietnamese is the source language (msgids are Vietnamese); `vi` holds the proofread Vietnamese
text and `en` the English translation. See docs/i18n.md for the workflow these tests guard.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("vi", "en")
MAKEMESSAGES = ["makemessages", "-l", "vi", "-l", "en", "--no-obsolete"]


def catalog_path(base: Path, lang: str, ext: str = "po") -> Path:
    return base / "locale" / lang / "LC_MESSAGES" / f"django.{ext}"


def msgids(po: polib.POFile) -> set[tuple[str | None, str, str | None]]:
    """The active entries (the header is not an entry in polib; obsolete ones are skipped)."""
    return {(e.msgctxt, e.msgid, e.msgid_plural or None) for e in po if not e.obsolete}


def describe(keys) -> str:
    return "\n".join(f"  {msgid!r}" for _ctx, msgid, _plural in sorted(keys, key=str)[:30])


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_complete(lang):
    path = catalog_path(ROOT, lang)
    assert path.is_file(), f"{path} is missing: run makemessages (docs/i18n.md)"
    po = polib.pofile(str(path))
    assert po.metadata.get("Language") == lang
    assert not po.metadata_is_fuzzy, f"{path}: the header is marked fuzzy"
    assert len(po) > 50, "suspiciously few strings: was the catalog generated from govqms/?"
    untranslated = [e.msgid for e in po.untranslated_entries()]
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated, e.g. {untranslated[:10]}"
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy entries, e.g. {fuzzy[:10]}"
    for entry in po:
        if entry.msgid_plural:
            want = 1 if lang == "vi" else 2
            assert len(entry.msgstr_plural) == want, f"{lang}: plural forms of {entry.msgid!r}"


def test_catalogs_cover_the_same_strings():
    vi, en = (msgids(polib.pofile(str(catalog_path(ROOT, lang)))) for lang in LANGS)
    assert vi == en, f"only in vi:\n{describe(vi - en)}\nonly in en:\n{describe(en - vi)}"


def test_catalogs_up_to_date_with_source(tmp_path):
    """Re-extract the strings from a copy of the source: a new string without a vi/en
    translation (or a stale one left behind) fails here, not in front of a user."""
    for tool in ("xgettext", "msgmerge"):
        assert shutil.which(tool), (
            f"{tool} not found: install GNU gettext (apt-get install gettext)"
        )
    shutil.copytree(
        ROOT / "govqms", tmp_path / "govqms", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govqms.settings",
        "PYTHONPATH": str(tmp_path),
        "GOVQMS_DATA_DIR": str(tmp_path / "data"),
    }
    # The settings must come from the copy, so that makemessages writes only into tmp_path.
    probe = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.LOCALE_PATHS[0])"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(probe.stdout.strip()).resolve() == (tmp_path / "locale").resolve()
    result = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-m", "django", *MAKEMESSAGES],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for lang in LANGS:
        committed = msgids(polib.pofile(str(catalog_path(ROOT, lang))))
        fresh = msgids(polib.pofile(str(catalog_path(tmp_path, lang))))
        assert fresh == committed, (
            f"locale/{lang} is out of date with the source; run the commands in docs/i18n.md.\n"
            f"new strings without a translation:\n{describe(fresh - committed)}\n"
            f"strings no longer in the source:\n{describe(committed - fresh)}"
        )


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory):
    """The committed .po files compiled afresh (msgfmt --check-format also checks that every
    %(name)s placeholder survives translation), so the test never reads a stale .mo."""
    base = tmp_path_factory.mktemp("compiled")
    msgfmt = shutil.which("msgfmt")
    for lang in LANGS:
        po_path = catalog_path(ROOT, lang)
        mo_path = catalog_path(base, lang, "mo")
        mo_path.parent.mkdir(parents=True)
        if msgfmt:
            result = subprocess.run(  # noqa: S603 - fixed argv, msgfmt from PATH
                [msgfmt, "--check-format", "-o", str(mo_path), str(po_path)],
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stderr
        else:  # pragma: no cover - gettext tools are part of the dev setup
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    with override_settings(LOCALE_PATHS=[base / "locale"]):
        yield base


def test_compiled_catalogs_translate(compiled_locale):
    with translation.override("en"):
        assert gettext("Đăng nhập") == "Sign in"
        assert gettext("Nhật ký kiểm toán") == "Audit log"
        assert ngettext("và %(n)s trường khác", "và %(n)s trường khác", 1) % {"n": 1} == (
            "and 1 more field"
        )
        assert ngettext("và %(n)s trường khác", "và %(n)s trường khác", 3) % {"n": 3} == (
            "and 3 more fields"
        )
    with translation.override("vi"):
        assert gettext("Đăng nhập") == "Đăng nhập"
        assert gettext("Nhật ký kiểm toán") == "Nhật ký kiểm toán"


def test_lazy_labels_follow_the_active_language(compiled_locale):
    from govqms.accounts.forms import LoginForm

    form = LoginForm()
    with translation.override("en"):
        assert str(form.fields["username"].label) == "Username"
    with translation.override("vi"):
        assert str(form.fields["username"].label) == "Tên đăng nhập"


def test_repo_mo_files_match_po_when_present():
    """`make messages` compiles in place (the .mo files are not committed); a .mo that differs
    from its .po would serve stale text."""
    for lang in LANGS:
        mo_path = catalog_path(ROOT, lang, "mo")
        if not mo_path.exists():
            continue
        po = polib.pofile(str(catalog_path(ROOT, lang)))
        mo = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))}
        stale = [
            e.msgid
            for e in po.translated_entries()
            if mo.get((e.msgctxt, e.msgid)) != (e.msgstr, e.msgstr_plural)
        ]
        assert not stale, (
            f"{mo_path} is stale ({len(stale)} strings, e.g. {stale[:5]}): "
            "run `govqms compilemessages --ignore=.venv`"
        )


@pytest.mark.django_db
def test_default_language_is_vietnamese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "<title>Đăng nhập · GovQMS</title>" in html


@pytest.mark.django_db
def test_english_when_chosen(client, compiled_locale, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<title>Sign in · GovQMS</title>" in html
    assert "Username" in html


@pytest.mark.django_db
def test_language_switch_sets_english(client, compiled_locale):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html
