"""Project-wide guards: migrations match models, every model is in the admin, sane settings."""

import io

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command

PROJECT_APPS = {"core", "org", "accounts", "workdays", "procedures", "dossiers", "kpi", "quality"}
NOT_IN_ADMIN = {"core.auditchainhead"}  # internal lock row; not data anyone edits or reads


@pytest.mark.django_db
def test_migrations_match_models():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when changes are missing
        pytest.fail(f"missing migrations:\n{out.getvalue()} ({exc})")


def test_every_project_model_is_in_the_admin():
    missing = [
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and model._meta.label_lower not in NOT_IN_ADMIN
        and not admin.site.is_registered(model)
    ]
    assert missing == []


def test_embedded_defaults():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "accounts.User"


def test_no_static_asset_comes_from_a_cdn():
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for marker in ('src="http', "src='http", 'href="http', "href='http", "@import url(http"):
            if marker in text:
                offenders.append(f"{path.relative_to(root)}: {marker}")
    assert offenders == []


def test_vietnamese_even_when_the_browser_asks_for_english(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/accounts/login/").content.decode()
