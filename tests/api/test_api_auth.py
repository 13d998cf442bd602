"""Deny by default: every API operation needs credentials unless it is on the public allowlist."""

import re

import pytest

from govqms.accounts import services
from govqms.api import PUBLIC_OPERATIONS, api


def _operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            yield path, method, spec


def test_schema_is_served_and_lists_operations(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    ids = {spec["operationId"] for _, _, spec in _operations()}
    assert {"health", "org_unit_list", "org_unit_get", "audit_entry_list", "accounts_me"} <= ids
    assert PUBLIC_OPERATIONS <= ids, "allowlist names an operation that does not exist"


def test_only_allowlisted_operations_are_declared_public():
    for path, method, spec in _operations():
        public = not spec.get("security")
        assert public == (spec["operationId"] in PUBLIC_OPERATIONS), (method, path)


@pytest.mark.django_db
def test_every_non_public_operation_refuses_anonymous_calls(client):
    checked = 0
    for path, method, spec in _operations():
        url = re.sub(r"\{[^}]+\}", "x", path)
        response = getattr(client, method)(url, content_type="application/json")
        if spec["operationId"] in PUBLIC_OPERATIONS:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 401, (method, url, response.status_code)
            checked += 1
    assert checked >= 4


def test_health_is_public(client, db):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"


def test_bearer_token_authenticates_and_revocation_stops_it(client, users):
    user = users["leader_a"]
    token, raw = services.api_token_create(actor=user, user=user, name="script")
    assert token.key_hash != raw and raw not in token.key_hash
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    me = client.get("/api/v1/accounts/me", **auth)
    assert me.status_code == 200
    assert me.json()["username"] == "leader_a"
    assert (
        client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer gq_wrong").status_code == 401
    )
    services.api_token_revoke(actor=user, token=token)
    assert client.get("/api/v1/accounts/me", **auth).status_code == 401


def test_inactive_user_token_is_refused(client, users):
    user = users["desk_a"]
    _, raw = services.api_token_create(actor=user, user=user, name="x")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
