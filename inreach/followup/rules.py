"""Every rule on moving a referral from one status to the next, in one place and free of the
database, so each is tested directly. ``check`` raises a DomainError naming the field."""

from dataclasses import dataclass
from datetime import date

from ..errors import DomainError
from .vocabulary import (
    CLOSE_REASONS,
    DECLINE_REASONS,
    MAX_HOURS,
    NEXT,
    SENT_HOW,
    STATUSES,
)

REASON_OTHER_MAX = 200


@dataclass(frozen=True)
class Change:
    """What someone says happened: the new status, on which day, why (declined or closed; the
    words when the reason is "other") and, for "sent", how it was sent."""

    status: str
    on: date | None
    reason: str = ""
    reason_other: str = ""
    sent_how: str = ""


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about a referral as it stands."""

    reference: str  # his form reference, to name the referral in a message
    status: str
    consent: bool
    visit_date: date
    sent_on: date | None


def check(facts: Facts, change: Change, today: date) -> None:
    """Refuse a change the referral cannot make, naming the field at fault."""
    if change.status not in STATUSES:
        raise DomainError("bad_status", "Choose what happened", "status")
    if not facts.consent:
        raise DomainError("no_consent", f"{facts.reference}: he did not agree to share his "
                          "details with this service, so nothing can be sent or recorded",
                          "status")
    if change.status not in NEXT[facts.status]:
        raise DomainError("bad_move", f"{facts.reference}: a referral that is "
                          f"{STATUSES[facts.status].lower()} cannot become "
                          f"{STATUSES[change.status].lower()}", "status")
    _check_date(facts, change, today)
    _check_reason(change)
    if change.status == "sent" and change.sent_how not in SENT_HOW:
        raise DomainError("bad_how", "Say how the referral was sent", "sent_how")


def _check_date(facts: Facts, change: Change, today: date) -> None:
    if change.on is None:
        raise DomainError("no_date", "Enter the date it happened", "on")
    if change.on > today:
        raise DomainError("future", "The date cannot be in the future", "on")
    if change.on < facts.visit_date:
        raise DomainError("before_visit", "The date cannot be before the visit "
                          f"({facts.visit_date:%-d %B %Y})", "on")
    if facts.sent_on and change.status != "sent" and change.on < facts.sent_on:
        raise DomainError("before_sent", "The date cannot be before the referral was sent "
                          f"({facts.sent_on:%-d %B %Y})", "on")


def _check_reason(change: Change) -> None:
    reasons = {"declined": DECLINE_REASONS, "closed": CLOSE_REASONS}.get(change.status)
    if reasons is None:
        return
    if change.reason not in reasons:
        word = "declined" if change.status == "declined" else "closed"
        raise DomainError("no_reason", f"Choose why it was {word}", "reason")
    if change.reason == "other" and not change.reason_other.strip():
        raise DomainError("no_other", "Say what the other reason is", "reason_other")
    if len(change.reason_other) > REASON_OTHER_MAX:
        raise DomainError("too_long", f"The reason must be {REASON_OTHER_MAX} characters or "
                          "fewer", "reason_other")


def check_hours(hours: float | None) -> None:
    """Paid hours a week for a job: 0 to MAX_HOURS."""
    if hours is None:
        raise DomainError("no_hours", "Enter the paid hours a week", "hours_per_week")
    if not 0 <= hours <= MAX_HOURS:
        raise DomainError("bad_hours", f"Paid hours a week must be between 0 and {MAX_HOURS}",
                          "hours_per_week")


def check_outcome_date(on: date | None, visit_date: date, today: date, field: str) -> None:
    """An employment milestone's date: given, not before the visit, not in the future."""
    if on is None:
        raise DomainError("no_date", "Enter the date", field)
    if on > today:
        raise DomainError("future", "The date cannot be in the future", field)
    if on < visit_date:
        raise DomainError("before_visit", "The date cannot be before the visit "
                          f"({visit_date:%-d %B %Y})", field)
