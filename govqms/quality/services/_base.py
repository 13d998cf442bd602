from govqms.core.scoping import require

from ..selectors import PERM_MANAGE


def check(actor, path: str) -> None:
    """`actor=None` is the system (the nightly task, the CLI); people need quality.manage."""
    if actor is not None:
        require(actor, PERM_MANAGE, path)


__all__ = ["PERM_MANAGE", "check"]
