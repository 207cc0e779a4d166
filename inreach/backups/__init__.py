"""Backups of the whole database and their restore (see services)."""

from ..errors import DomainError


def not_a_backup(reason: str) -> DomainError:
    """The refusal for a file that is not a backup inreach can restore."""
    return DomainError("not_a_backup", f"That file is not an inreach backup. {reason} Nothing "
                       "was changed.", "file")
