"""The hash chain detects any edited, deleted or reordered row; `audit-verify` names it."""

import itertools

import pytest
from django.core.management import CommandError, call_command

from govqms.core.audit import GENESIS_HASH, audit_append, audit_verify
from govqms.core.models import AuditChainHead, AuditEntry


@pytest.fixture
def chain(db):
    for i in range(6):
        audit_append(
            actor=None,
            action="other",
            object_type="test.thing",
            object_id=str(i),
            changes={"n": [None, i]},
        )
    return list(AuditEntry.objects.order_by("seq"))


def test_chain_links_each_entry_to_the_previous(chain):
    assert chain[0].prev_hash == GENESIS_HASH
    for prev, entry in itertools.pairwise(chain):
        assert entry.prev_hash == prev.hash
        assert entry.seq == prev.seq + 1
    assert audit_verify() == (6, None)
    head = AuditChainHead.objects.get(id=1)
    assert (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)


@pytest.mark.parametrize(
    "field,value",
    [
        ("object_id", "tampered"),
        ("changes", {"n": [None, 999]}),
        ("actor_label", "someone-else"),
        ("action", "delete"),
        ("reason", "covered up"),
    ],
)
def test_editing_any_field_of_any_row_is_detected(chain, field, value):
    target = chain[3]
    AuditEntry.objects.filter(pk=target.pk).update(**{field: value})
    count, brk = audit_verify()
    assert brk is not None
    assert brk.seq == target.seq
    assert "edited" in brk.reason
    assert count == 3


def test_rehashing_an_edited_row_breaks_the_next_link(chain):
    from govqms.core.audit import compute_hash

    target = AuditEntry.objects.get(pk=chain[2].pk)
    target.object_label = "forged"
    target.hash = compute_hash(target)
    AuditEntry.objects.filter(pk=target.pk).update(object_label="forged", hash=target.hash)
    _, brk = audit_verify()
    assert brk.seq == chain[3].seq
    assert "prev_hash" in brk.reason


def test_swapping_two_rows_is_detected(chain):
    a, b = chain[1], chain[2]
    # Swap the order numbers (through a temporary value to respect the unique index).
    AuditEntry.objects.filter(pk=a.pk).update(seq=10_000)
    AuditEntry.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEntry.objects.filter(pk=a.pk).update(seq=b.seq)
    _, brk = audit_verify()
    assert brk is not None
    assert brk.seq == a.seq


def test_deleting_a_middle_row_is_detected(chain):
    AuditEntry.objects.filter(pk=chain[2].pk).delete()
    _, brk = audit_verify()
    assert brk.seq == chain[3].seq
    assert "gap" in brk.reason


def test_deleting_the_last_row_is_detected_by_the_head(chain):
    AuditEntry.objects.filter(pk=chain[-1].pk).delete()
    _, brk = audit_verify()
    assert brk is not None
    assert "head" in brk.reason


def test_audit_verify_command_passes_then_fails(chain, capsys):
    call_command("audit_verify")
    assert "6 entries verified" in capsys.readouterr().out
    AuditEntry.objects.filter(pk=chain[4].pk).update(object_label="x")
    with pytest.raises(CommandError, match=f"#{chain[4].seq}"):
        call_command("audit_verify")


def test_failed_transaction_leaves_no_entry(db):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_append(actor=None, action="other", object_type="test.thing")
        raise RuntimeError("rollback")
    assert AuditEntry.objects.count() == 0
    assert audit_verify() == (0, None)


def test_admin_shows_the_log_read_only(admin_client, chain, settings):
    settings.GOVQMS_REQUIRE_ADMIN_2FA = False
    response = admin_client.get(f"/quan-tri/core/auditentry/{chain[0].pk}/change/")
    assert response.status_code == 200
    post = admin_client.post(f"/quan-tri/core/auditentry/{chain[0].pk}/change/", {"reason": "x"})
    assert post.status_code == 403
    assert AuditEntry.objects.get(pk=chain[0].pk).reason == ""
    assert admin_client.get("/quan-tri/core/auditentry/add/").status_code == 403


def test_personal_data_reads_are_logged_in_the_chain(users):
    from govqms.core.audit import audit_read

    reader, subject = users["leader_a"], users["desk_a"]
    entry = audit_read(actor=reader, obj=subject, fields={"email", "full_name"}, purpose="check")
    assert entry.action == "read"
    assert entry.actor == reader
    assert entry.changes == {"fields": ["email", "full_name"]}
    assert entry.unit_path == subject.home_unit.path
    assert audit_verify()[1] is None


def test_request_id_is_recorded(client, users):
    client.force_login(users["leader_a"])
    from govqms.accounts import services

    response = client.post("/accounts/profile/", {"name": "ci"}, HTTP_X_REQUEST_ID="req-123")
    assert response["X-Request-ID"] == "req-123"
    entry = AuditEntry.objects.filter(object_type="accounts.apitoken").latest("seq")
    assert entry.request_id == "req-123"
    assert services  # the token was created through the service by the view
