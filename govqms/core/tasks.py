import logging

from celery import shared_task

from .audit import audit_verify

logger = logging.getLogger(__name__)


@shared_task(name="core.audit_verify")
def audit_verify_task() -> dict:
    """Scheduled integrity check of the audit chain (run it nightly with Celery beat)."""
    count, brk = audit_verify()
    if brk is not None:
        logger.error("audit chain broken at #%s: %s", brk.seq, brk.reason)
    return {
        "checked": count,
        "broken_at": brk.seq if brk else None,
        "reason": brk.reason if brk else "",
    }
