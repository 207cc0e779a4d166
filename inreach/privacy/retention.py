"""How long a man's personal data is kept: the retention periods, their defaults (stated here
and nowhere else), the administrator's changes to them, and the date each man falls due.

The rules (inreach.privacy.purge carries them out):
- A man's identifying and contact details are removed ``identity_months`` (default 12) after
  the later of his release date and the day his last referral ended (closed, or answered as
  declined or could not contact). A man with no release date counts from his last visit.
- Free-text notes (his record's notes, the notes taken with him at a visit, the "other"
  reasons typed for his referrals, and the history of changes to his referral sets) are
  cleared ``notes_months`` (default 3) after the same day: sooner.
- While any referral of his is still open (made, sent, accepted or first contact) nothing of
  his is removed: the receiving service may still need to reach him. The retention page says
  how many men are kept this way, so an organiser can close referrals that are finished.
- Periods are whole months from 1 to ``MAX_MONTHS``; notes are never kept longer than the
  details they belong to.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..accounts.services import Actor
from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..site.models import SiteSetting

IDENTITY_KEY = "retention_identity_months"
NOTES_KEY = "retention_notes_months"
DEFAULT_IDENTITY_MONTHS = 12
DEFAULT_NOTES_MONTHS = 3
MAX_MONTHS = 120  # ten years: anything longer is a typing mistake, not a policy
LABELS = {"identity_months": "Identifying and contact details",
          "notes_months": "Free-text notes"}
OPEN_STATUSES = ("made", "sent", "accepted", "first_contact")  # referrals that keep him


@dataclass(frozen=True)
class Periods:
    """The retention periods in force, in whole months."""

    identity_months: int = DEFAULT_IDENTITY_MONTHS
    notes_months: int = DEFAULT_NOTES_MONTHS


def periods() -> Periods:
    """The periods in force: the administrator's, or the defaults where none was set."""
    stored = dict(db.session.execute(
        select(SiteSetting.key, SiteSetting.value)
        .where(SiteSetting.key.in_((IDENTITY_KEY, NOTES_KEY)))).all())
    return Periods(int(stored.get(IDENTITY_KEY, DEFAULT_IDENTITY_MONTHS)),
                   int(stored.get(NOTES_KEY, DEFAULT_NOTES_MONTHS)))


def parse_periods(identity_text: str, notes_text: str) -> Periods:
    """The periods typed on the form, or a DomainError naming the field that is wrong."""
    values = {}
    for field, text in (("identity_months", identity_text), ("notes_months", notes_text)):
        label = LABELS[field]
        text = (text or "").strip()
        if not text:
            raise DomainError("required", f"Enter how many months to keep {label.lower()}", field)
        if not text.isdigit() or len(text) > 4:
            raise DomainError("not_a_number",
                              f"{label}: enter a whole number of months, like 12", field)
        months = int(text)
        if not 1 <= months <= MAX_MONTHS:
            raise DomainError("out_of_range",
                              f"{label}: enter a number of months from 1 to {MAX_MONTHS}", field)
        values[field] = months
    if values["notes_months"] > values["identity_months"]:
        raise DomainError("notes_longer",
                          "Free-text notes must not be kept longer than identifying details",
                          "notes_months")
    return Periods(**values)


@writes
def set_periods(identity_text: str, notes_text: str, actor: Actor) -> Periods:
    """Store the administrator's periods (checked as ``parse_periods`` does), audited."""
    chosen = parse_periods(identity_text, notes_text)
    for key, months in ((IDENTITY_KEY, chosen.identity_months),
                        (NOTES_KEY, chosen.notes_months)):
        setting = db.session.get(SiteSetting, key) or SiteSetting(key=key)
        setting.value = str(months)
        db.session.add(setting)
    record("retention.periods_changed", actor_id=actor.id,
           detail=f"identity {chosen.identity_months} months, notes {chosen.notes_months} months")
    db.session.commit()
    return chosen


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter): used on
    today, so it never runs past the calendar's end as adding to a far-future date would."""
    return add_months(day, -months)


def counted_from(release_date: date | None, last_visit: date | None,
                 last_referral_end: date | None) -> date | None:
    """The day a man's periods count from: the later of his release date (his last visit when
    there is none) and the end of his last referral; None when nothing is known."""
    start = release_date or last_visit
    known = [day for day in (start, last_referral_end) if day is not None]
    return max(known) if known else None
