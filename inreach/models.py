"""Every table, imported in one place so create_all and Alembic see the whole schema."""

from .accounts.models import LoginFailure, LoginSession, User
from .audit.models import AuditEvent
from .prisons.models import Prison
from .roster.models import RosterEntry, RosterSession
from .site.models import SiteSetting
from .visits.models import Visit, VisitSession
from .volunteers.models import Clearance, Organisation, Volunteer

__all__ = ["AuditEvent", "Clearance", "LoginFailure", "LoginSession", "Organisation", "Prison",
           "RosterEntry", "RosterSession", "SiteSetting", "User", "Visit", "VisitSession",
           "Volunteer"]
