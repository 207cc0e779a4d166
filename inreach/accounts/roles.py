"""The four roles and what each is for; a user has exactly one."""

ADMIN = "admin"
ORGANISER = "organiser"
VOLUNTEER = "volunteer"
AUDITOR = "auditor"

ROLES = {
    ADMIN: "Administrator: users, directory and settings",
    ORGANISER: "Organiser: plans visits, prints, follows referrals up",
    VOLUNTEER: "Volunteer: records self-referrals on the day for visits they are rostered on",
    AUDITOR: "Auditor: read-only; audit trail and exports for data requests",
}

# Who may plan visits (prisons, volunteers, rosters) and who may read the plans.
PLANNERS = (ORGANISER, ADMIN)
PLAN_READERS = (ORGANISER, ADMIN, AUDITOR)

# Who follows referrals up after a visit (sends, records answers and outcomes), and who may read
# the follow-up. Volunteers see none of it.
FOLLOWERS = (ORGANISER, ADMIN)
FOLLOW_READERS = (ORGANISER, ADMIN, AUDITOR)
