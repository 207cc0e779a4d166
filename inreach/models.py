"""Every table, imported in one place so create_all and Alembic see the whole schema."""

from .accounts.models import LoginFailure, LoginSession, User
from .audit.models import AuditEvent
from .cohorts.models import CohortMember, KeepApart, Person
from .directory.models import (
    Contact,
    DirectoryOrganisation,
    Phone,
    Service,
    ServiceArea,
    ServicePathway,
)
from .followup.models import Dispatch, JobStart, LinkFailure, ReferralEvent, ReferralLink
from .jobs.models import TaskFailure
from .packs.models import PrintJob, PrintPart
from .prisons.models import Prison
from .referrals.models import ConsentWording, Referral, ReferralSet, SetChange, Submission
from .roster.models import RosterEntry, RosterSession
from .site.models import SiteSetting
from .visits.models import Visit, VisitSession
from .volunteers.models import Clearance, Organisation, Volunteer

__all__ = ["AuditEvent", "Clearance", "CohortMember", "ConsentWording", "Contact",
           "DirectoryOrganisation", "Dispatch", "JobStart", "KeepApart", "LinkFailure",
           "LoginFailure", "LoginSession", "Organisation", "Person", "Phone", "PrintJob",
           "PrintPart", "Prison", "Referral", "ReferralEvent", "ReferralLink", "ReferralSet",
           "RosterEntry", "RosterSession", "Service", "ServiceArea", "ServicePathway", "SetChange",
           "SiteSetting", "Submission", "TaskFailure", "User", "Visit", "VisitSession", "Volunteer"]
