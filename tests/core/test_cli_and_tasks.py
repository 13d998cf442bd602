import pytest

from govqms.cli import main
from govqms.core.audit import audit_append
from govqms.core.models import AuditEntry
from govqms.core.tasks import audit_verify_task


def test_cli_accepts_dashed_command_names(db, capsys):
    audit_append(actor=None, action="other", object_type="t")
    main(["govqms", "audit-verify"])
    assert "1 entries verified" in capsys.readouterr().out


def test_cli_exits_non_zero_on_a_broken_chain(db, capsys):
    entry = audit_append(actor=None, action="other", object_type="t")
    AuditEntry.objects.filter(pk=entry.pk).update(reason="edited")
    with pytest.raises(SystemExit) as exc:
        main(["govqms", "audit-verify"])
    assert exc.value.code == 1
    assert "BROKEN at entry #1" in capsys.readouterr().err


def test_audit_task_runs_eagerly_in_embedded_mode(db, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    audit_append(actor=None, action="other", object_type="t")
    result = audit_verify_task.delay().get()
    assert result == {"checked": 1, "broken_at": None, "reason": ""}
