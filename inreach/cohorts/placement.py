"""Putting a visit's men into its sessions: the automatic split, moving one man by hand, and the
clashes a hand move may leave (over capacity, or two men who must be kept apart together)."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..visits.models import Visit
from ..visits.services import get_visit
from .allocation import Allocation, Man, Slot, allocate
from .models import CohortMember, KeepApart
from .services import cohort, get_member


@dataclass(frozen=True)
class OverCapacity:
    """A session holding more men than its capacity."""

    label: str
    men: int
    capacity: int


@dataclass(frozen=True)
class KeptApartTogether:
    """Two men who must be kept apart, both in one session."""

    label: str
    first: CohortMember
    second: CohortMember


@dataclass(frozen=True)
class Clashes:
    """Everything wrong with the split of a visit's men into sessions."""

    over_capacity: list[OverCapacity]
    kept_apart: list[KeptApartTogether]

    def __bool__(self) -> bool:
        return bool(self.over_capacity or self.kept_apart)


def _keep_apart_members(visit_id: int, members: list[CohortMember]):
    """Keep-apart pairs of this visit as pairs of cohort members (both must be on the cohort)."""
    by_person = {member.person_id: member for member in members}
    pairs = db.session.execute(select(KeepApart.first_id, KeepApart.second_id).where(
        KeepApart.visit_id == visit_id))
    return [(by_person[first], by_person[second]) for first, second in pairs
            if first in by_person and second in by_person]


def plan(visit: Visit, keep_wing_together: bool) -> Allocation:
    """What the automatic split would do to this visit's cohort (nothing is saved)."""
    members = cohort(visit.id)
    men = [Man(member.id, member.person.location, member.session_id) for member in members]
    slots = [Slot(session.id, session.capacity) for session in visit.sessions]
    pairs = [(a.id, b.id) for a, b in _keep_apart_members(visit.id, members)]
    return allocate(men, slots, pairs, keep_wing_together)


@writes
def run_allocation(visit_id: int, keep_wing_together: bool, actor_id: int) -> Allocation:
    """Place the visit's unplaced men automatically, in one transaction with one audit row."""
    visit = get_visit(visit_id)
    members = {member.id: member for member in cohort(visit.id)}
    result = plan(visit, keep_wing_together)
    newly = {man: where for man, where in result.placed.items()
             if members[man].session_id != where}
    for man, where in newly.items():
        members[man].session_id = where
    record("cohort.allocated", actor_id, "visit", visit.id,
           detail=f"placed={len(newly)} unplaced={len(result.unplaced)} "
                  f"wings_together={'yes' if keep_wing_together else 'no'}")
    db.session.commit()
    return result


@writes
def move(visit_id: int, member_public_id: str, session_id: int | None,
         actor_id: int) -> CohortMember:
    """Move one man to a session of the visit (or out of all); clashes are reported, not refused."""
    visit = get_visit(visit_id)
    member = get_member(visit.id, member_public_id)
    if session_id is not None and session_id not in {session.id for session in visit.sessions}:
        raise DomainError("bad_session", "Choose a session of this visit", "session_id")
    member.session_id = session_id
    record("cohort.moved", actor_id, "cohort_member", member.id,
           detail=f"session={session_id if session_id is not None else 'none'}")
    db.session.commit()
    return member


def clashes(visit_id: int) -> Clashes:
    """Sessions over capacity, and keep-apart pairs sharing a session, in session order."""
    visit = get_visit(visit_id)
    members = cohort(visit.id)
    counts = Counter(member.session_id for member in members if member.session_id)
    labels = {session.id: session.label for session in visit.sessions}
    over = [OverCapacity(session.label, counts[session.id], session.capacity)
            for session in visit.sessions if counts[session.id] > session.capacity]
    order = list(labels)
    together = sorted(((a, b) for a, b in _keep_apart_members(visit.id, members)
                       if a.session_id is not None and a.session_id == b.session_id),
                      key=lambda pair: (order.index(pair[0].session_id), pair[0].id))
    return Clashes(over, [KeptApartTogether(labels[a.session_id], a, b) for a, b in together])


def waiting_reasons(visit: Visit) -> dict[int, str]:
    """Why each man without a session is waiting, by cohort member id."""
    result = plan(visit, keep_wing_together=False)
    placed = placed_ids(visit)
    waiting = {member_id for member_id in result.placed if member_id not in placed}
    return result.unplaced | {member_id: "not allocated yet" for member_id in waiting}


def placed_ids(visit: Visit) -> set[int]:
    """The cohort member ids of this visit's men who are in a session."""
    return set(db.session.scalars(select(CohortMember.id).where(
        CohortMember.visit_id == visit.id, CohortMember.session_id.is_not(None))))


@writes
def record_viewed(visit_id: int, actor_id: int) -> None:
    """Audit that someone saw the cohort's names and prison numbers."""
    record("cohort.viewed", actor_id, "visit", visit_id)
    db.session.commit()


def session_counts(visit: Visit) -> dict:
    """How many men are on the cohort, and in each session (label, men, capacity): no names."""
    counts = Counter(db.session.scalars(select(CohortMember.session_id).where(
        CohortMember.visit_id == visit.id)))
    return {"men": sum(counts.values()),
            "sessions": [(session.label, counts[session.id], session.capacity)
                         for session in visit.sessions]}
