"""Moving referrals through their statuses: one service every page, link and task goes
through, so each change is checked by ``rules``, kept as a ``ReferralEvent`` (who, when, how)
and audited, all or nothing."""

from dataclasses import dataclass

from sqlalchemy import select

from ..audit.services import record_all
from ..cohorts.models import CohortMember, Person
from ..database import db, utcnow, writes
from ..dates import today
from ..directory.models import Service
from ..errors import DomainError
from ..prisons.models import Prison
from ..referrals.models import Referral, ReferralSet
from ..visits.models import Visit
from .models import ReferralEvent
from .rules import Change, Facts, check


@dataclass(frozen=True)
class By:
    """Who recorded a change and how: a user, or nobody when the receiving service answered by
    its link (``how`` is then "link")."""

    actor_id: int | None
    how: str = "recorded"


def with_man_and_service(*columns):
    """A query of the columns from each referral joined to his set, his place on the visit,
    the man, the visit, its prison and the service (for pages that show all of them)."""
    return (select(*columns)
            .join(ReferralSet, Referral.set_id == ReferralSet.id)
            .join(CohortMember, ReferralSet.member_id == CohortMember.id)
            .join(Person, CohortMember.person_id == Person.id)
            .join(Visit, CohortMember.visit_id == Visit.id)
            .join(Prison, Visit.prison_id == Prison.id)
            .join(Service, Referral.service_id == Service.id))


def facts_query(referral_ids):
    """Each referral with what the rules need, in one statement (locked for the change)."""
    return (select(Referral, CohortMember.form_reference, Visit.date)
            .join(ReferralSet, Referral.set_id == ReferralSet.id)
            .join(CohortMember, ReferralSet.member_id == CohortMember.id)
            .join(Visit, CohortMember.visit_id == Visit.id)
            .where(Referral.id.in_(referral_ids)).order_by(Referral.id))


def facts_of(referral: Referral, reference: str, visit_date) -> Facts:
    return Facts(reference=reference, status=referral.status, consent=referral.consent,
                 visit_date=visit_date, sent_on=referral.sent_on)


@writes
def change_status(referral_ids: list[int], change: Change, by: By) -> list[Referral]:
    """Apply one change to each of these referrals, or to none if any may not take it."""
    wanted = set(referral_ids)
    rows = db.session.execute(facts_query(wanted).with_for_update(of=Referral)).all()
    if not wanted or len(rows) != len(wanted):
        raise DomainError("not_found", "That referral does not exist", "status")
    day = today()
    for referral, reference, visit_date in rows:
        check(facts_of(referral, reference, visit_date), change, day)
    referrals = [referral for referral, _, _ in rows]
    for referral in referrals:
        _apply(referral, change, by)
    db.session.flush()
    record_all(by.actor_id, [("referral.status", "referral", referral.id)
                             for referral in referrals])
    db.session.commit()
    return referrals


def _apply(referral: Referral, change: Change, by: By) -> None:
    """Keep the change as an event and bring the referral's current facts up to date."""
    db.session.add(ReferralEvent(
        referral_id=referral.id, status=change.status, from_status=referral.status,
        on_date=change.on, reason=change.reason, reason_other=change.reason_other.strip(),
        how=change.sent_how if change.status == "sent" else by.how, actor_id=by.actor_id))
    status = change.status
    if status == "sent":
        referral.sent_on, referral.sent_how, referral.send_problem = change.on, change.sent_how, ""
    elif status in ("accepted", "declined", "no_contact"):
        referral.answered_on = change.on
    elif status == "first_contact":
        referral.first_contact_on = change.on
        referral.answered_on = referral.answered_on or change.on
    elif status == "closed":
        referral.closed_on = change.on
    if status in ("declined", "closed"):
        referral.reason, referral.reason_other = change.reason, change.reason_other.strip()
    elif status != "first_contact":
        referral.reason, referral.reason_other = "", ""
    referral.status = status
    referral.status_changed_at = utcnow()
