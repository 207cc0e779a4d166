"""Every table, imported in one place so create_all and Alembic see the whole schema."""

from .accounts.models import LoginFailure, LoginSession, User
from .audit.models import AuditEvent
from .site.models import SiteSetting

__all__ = ["AuditEvent", "LoginFailure", "LoginSession", "SiteSetting", "User"]
