"""The audit trail in words: what each recorded action code means, said so that a person reads
a row as a sentence ("Olu Organiser changed a referral's status"), and what each kind of object
is called. tests/test_audit.py reads the source for every code that is recorded and fails on one
missing here, so a new code cannot be added without its words. A code with no words (from an
older version) is shown as the code itself."""

# Each phrase follows the name of who did it: "<who> <phrase>".
ACTIONS = {
    # Signing in and accounts
    "login": "signed in",
    "logout": "signed out",
    "login.failed": "failed to sign in (wrong email or password)",
    "login.throttled": "was stopped from signing in after too many tries",
    "login.refused_disabled": "tried to sign in to a disabled account",
    "user.created": "added a user account",
    "user.enabled": "turned a user account back on",
    "user.disabled": "disabled a user account",
    "user.password_changed": "changed their password",
    # Prisons, visits and sessions
    "prison.created": "added a prison",
    "prison.updated": "changed a prison's details",
    "prison.archived": "archived a prison",
    "prison.unarchived": "brought back an archived prison",
    "prison.deleted": "deleted a prison",
    "visit.created": "planned a visit",
    "visit.updated": "changed a visit's details",
    "visit.status_changed": "changed a visit's status",
    "visit.window_changed": "changed the time a visit is open for changes",
    "session.created": "added a session to a visit",
    "session.updated": "changed a session",
    "session.deleted": "deleted a session",
    # Volunteers, organisations and the roster
    "organisation.created": "added a volunteering organisation",
    "organisation.updated": "changed a volunteering organisation",
    "organisation.deleted": "deleted a volunteering organisation",
    "volunteer.created": "added a volunteer",
    "volunteer.updated": "changed a volunteer's details",
    "volunteer.archived": "archived a volunteer",
    "volunteer.unarchived": "brought back an archived volunteer",
    "clearance.recorded": "recorded a volunteer's security clearance",
    "roster.added": "put a volunteer on a visit's roster",
    "roster.confirmed": "confirmed a volunteer on a visit's roster",
    "roster.sessions_set": "changed which sessions a volunteer works",
    "roster.removed": "took a volunteer off a visit's roster",
    "checkin.signed_in": "signed a volunteer in at the gate",
    "checkin.signed_out": "signed a volunteer out at the gate",
    "checkin.undone": "undid a volunteer's gate sign-in or sign-out",
    "checkin.hours_exported": "downloaded volunteers' hours for a visit",
    "gate_list.downloaded": "downloaded a visit's gate list",
    # The men on a visit
    "cohort.added": "added a man to a visit",
    "cohort.walk_in_added": "added a walk-in man to a visit",
    "cohort.import_previewed": "previewed a prison list before importing it",
    "cohort.imported": "imported a prison list of men for a visit",
    "cohort.allocated": "shared out a visit's men across its sessions",
    "cohort.moved": "moved a man to another session",
    "cohort.viewed": "looked at the list of men on a visit",
    "register.downloaded": "downloaded a session's register",
    "attendance.attended": "marked a man as attended",
    "attendance.absent": "marked a man as absent",
    "attendance.cleared": "cleared a man's attendance",
    "person.viewed": "looked at a man's record",
    "person.timeline_viewed": "looked at a man's history",
    # Packs and printing
    "pack.printed": "printed a man's pack",
    "pack.previewed": "previewed a man's pack",
    "referral_form.printed": "printed a man's referral form",
    "print_batch.started": "started printing a batch of documents",
    "print_batch.downloaded": "downloaded a printed batch of documents",
    # Referrals and consent
    "consent_wording.published": "published new consent wording",
    "referral_set.created": "recorded a man's referrals and consent",
    "referral_set.changed": "changed a man's referrals and consent",
    "referral_set.viewed": "looked at a man's referrals and consent",
    "referral.created": "made a referral",
    "referral.changed": "changed a referral",
    "referral.withdrawn": "withdrew a referral",
    "referral.viewed": "looked at a referral",
    "referral.status": "changed a referral's status",
    "referral.profile_started": "recorded that a man's employment profile was started",
    "referral.employer_contact": "recorded a man's first contact with an employer",
    "referral.send_queued": "queued a referral to be sent",
    "referral.chased": "asked for a referral to be chased",
    "referral.chase_sent": "sent a chase about a referral",
    "referral.downloaded_csv": "downloaded a referral in a spreadsheet (CSV)",
    "referral.downloaded_pdf": "downloaded a referral as a PDF",
    "referral_link.opened": "opened a referral by its link",
    "referral_link.refused": "tried a referral link that does not work",
    "job_start.created": "recorded a job start",
    "job_start.in_work_13_weeks": "recorded whether a man was in work after 13 weeks",
    "job_start.in_work_26_weeks": "recorded whether a man was in work after 26 weeks",
    # Follow-up and sending
    "followup_board.viewed": "looked at a visit's follow-up board",
    "chase_list.viewed": "looked at the list of referrals to chase",
    "handoff.viewed": "looked at what a visit hands to receiving services",
    "handoff.downloaded": "downloaded a service's referrals",
    "dispatch.queued": "queued referrals to be emailed to a service",
    "dispatch.sent": "emailed referrals to a service",
    "dispatch.failed": "could not email referrals to a service",
    # The directory of services
    "directory.service.created": "added a service to the directory",
    "directory.service.updated": "changed a service in the directory",
    "directory.service.deleted": "deleted a service from the directory",
    "directory.service.checked": "checked a service's details were still right",
    "directory.organisation.created": "added an organisation to the directory",
    "directory.organisation.updated": "changed an organisation in the directory",
    "directory.imported": "imported the directory from a file",
    # Reports and the audit trail itself
    "report.downloaded": "downloaded a report",
    "report.ips_grow_downloaded": "downloaded the IPS Grow figures for a quarter",
    "audit.exported": "downloaded the audit trail",
    # Two-factor sign-in
    "login.client_throttled": "was stopped from signing in after too many tries from one device",
    "login.code_failed": "entered a wrong two-factor code",
    "login.code_reused": "entered a two-factor code that was already used",
    "login.password_accepted": "entered the right password and was asked for a code",
    "user.two_factor_enrolled": "set up two-factor sign-in",
    "user.two_factor_reset": "reset a user's two-factor sign-in",
    "user.recovery_code_used": "signed in with a recovery code",
    # Keeping the consent wording's promises: retention, requests, backups
    "retention.periods_changed": "changed how long personal details are kept",
    "retention.purge_run": "removed personal details past their keeping period",
    "person.purged": "removed a man's personal details (keeping period over)",
    "person.erased": "erased a man's personal details on request",
    "person.notes_cleared": "cleared free-text notes about a man",
    "person.rectified": "corrected a man's details",
    "person.restricted": "restricted the use of a man's details",
    "person.restriction_lifted": "lifted the restriction on a man's details",
    "data_request.searched": "searched for a man to answer a data request",
    "data_request.viewed": "looked at what is held about a man for a data request",
    "data_request.downloaded": "downloaded everything held about a man for a data request",
    "backup.written": "took a backup of the database",
    "backup.restored": "restored the database from a backup",
    "backup.deleted": "deleted an old backup",
}

# What each kind of object is called, said before its id ("Referral 42").
OBJECT_TYPES = {
    "user": "User account",
    "prison": "Prison",
    "visit": "Visit",
    "session": "Session",
    "organisation": "Volunteering organisation",
    "volunteer": "Volunteer",
    "clearance": "Security clearance",
    "roster_entry": "Roster place",
    "cohort_member": "Man on a visit",
    "person": "Man",
    "print_job": "Print batch",
    "consent_wording": "Consent wording",
    "referral_set": "Referral set",
    "referral": "Referral",
    "job_start": "Job start",
    "dispatch": "Referral email",
    "service": "Directory service",
    "directory_organisation": "Directory organisation",
    "quarter": "Quarter",
    "report": "Report",
    "backup": "Backup file",
}

# Who did it when no user did: the receiving service answers by its link without an account
# (a referral's status changes with no user only that way), and the queue sends emails.
BY_LINK = "Receiving service, by link"
WITHOUT_USER = {"referral_link.opened": BY_LINK, "referral.status": BY_LINK,
                "referral_link.refused": "Someone with a link that does not work",
                "dispatch.sent": "The email queue", "dispatch.failed": "The email queue",
                "referral.chase_sent": "The email queue",
                "login.failed": "Someone", "login.throttled": "Someone",
                "login.refused_disabled": "Someone", "login.client_throttled": "Someone",
                "login.code_failed": "Someone", "login.code_reused": "Someone",
                "retention.purge_run": "The nightly purge", "person.purged": "The nightly purge",
                "person.notes_cleared": "The nightly purge",
                "backup.written": "The backup task", "backup.deleted": "The backup task"}
NOBODY = "Someone not signed in"


def action_words(action: str) -> str:
    """The action as a phrase that follows a name, or the code itself if it has no words."""
    return ACTIONS.get(action, action)


def who(action: str, actor_name: str | None) -> str:
    """Who did it: the user's name, or what acted when no user did."""
    return actor_name or WITHOUT_USER.get(action, NOBODY)


def sentence(action: str, actor_name: str | None) -> str:
    """The row as a sentence: "Olu Organiser changed a referral's status" (or, for a code with
    no words, "Olu Organiser: the.code")."""
    if action in ACTIONS:
        return f"{who(action, actor_name)} {ACTIONS[action]}"
    return f"{who(action, actor_name)}: {action}"


def object_words(object_type: str | None, object_id: str | None) -> str:
    """The object in words ("Referral 42"), or a dash when the row is about no object."""
    if not object_type:
        return "–"
    noun = OBJECT_TYPES.get(object_type, object_type)
    return f"{noun} {object_id}" if object_id else noun
