"""Rules for visits, sessions and the roster, called directly against a real database."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.errors import DomainError
from inreach.roster import services as roster
from inreach.roster.models import RosterEntry
from inreach.visits import services
from inreach.visits.models import Visit, VisitSession
from inreach.visits.services import SessionDetails, VisitDetails
from inreach.visits.warnings import visit_warnings

from . import planning

TODAY = date(2027, 3, 1)  # a Monday
ACTOR = None


@pytest.fixture
def wsi(app_context):
    return planning.prison()


def details(prison, **changes) -> VisitDetails:
    values = {"prison_id": prison, "date": date(2027, 3, 31), "title": "Employment day"}
    return VisitDetails(**(values | changes))


def slot(label="Cohort 1", starts="09:30", ends="12:00", room="Chapel", capacity=20):
    return SessionDetails(label=label, starts_at=time.fromisoformat(starts),
                          ends_at=time.fromisoformat(ends), room=room, capacity=capacity)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_working_days_skip_weekends():
    assert services.working_days_before(date(2027, 3, 31), 10) == date(2027, 3, 17)
    assert services.working_days_before(date(2027, 3, 8), 1) == date(2027, 3, 5)  # Mon → Fri


def test_a_new_visit_is_a_draft_with_the_default_deadline_and_an_audit_row(wsi):
    visit = services.create_visit(details(wsi.id), ACTOR, TODAY)
    assert visit.status == "draft"
    assert visit.gate_list_deadline == date(2027, 3, 17)
    assert db.session.scalar(select(AuditEvent.action)) == "visit.created"


@pytest.mark.parametrize("changes,code,field", [
    ({"date": date(2027, 2, 1)}, "date_past", "date"),
    ({"gate_list_deadline": date(2027, 4, 2)}, "deadline_after_visit", "gate_list_deadline"),
    ({"prison_id": 999}, "prison_unavailable", "prison_id"),
])
def test_bad_visits_are_refused_and_nothing_is_saved(wsi, changes, code, field):
    with pytest.raises(DomainError) as error:
        services.create_visit(details(wsi.id, **changes), ACTOR, TODAY)
    assert (error.value.code, error.value.field) == (code, field)
    db.session.rollback()
    assert count(Visit) == 0


def test_an_archived_prison_cannot_be_chosen_but_may_stay(wsi):
    visit = services.create_visit(details(wsi.id), ACTOR, TODAY)
    closed = planning.prison("XXI", "HMP Closed", archived=True)
    with pytest.raises(DomainError):
        services.create_visit(details(closed.id), ACTOR, TODAY)
    begin_write()
    wsi.archived = True
    db.session.commit()
    services.update_visit(visit.id, details(wsi.id, title="Renamed"), ACTOR)
    assert db.session.get(Visit, visit.id).title == "Renamed"


def test_status_moves_only_along_the_allowed_paths(wsi):
    visit = services.create_visit(details(wsi.id), ACTOR, TODAY)
    with pytest.raises(DomainError) as error:
        services.change_status(visit.id, "completed", ACTOR)
    assert error.value.code == "bad_transition"
    for status in ("confirmed", "completed"):
        services.change_status(visit.id, status, ACTOR)
    with pytest.raises(DomainError):
        services.change_status(visit.id, "cancelled", ACTOR)  # completed is final
    with pytest.raises(DomainError):
        services.change_status(visit.id, "nonsense", ACTOR)


@pytest.fixture
def visit(wsi):
    return services.create_visit(details(wsi.id), ACTOR, TODAY)


def test_sessions_keep_their_rules(visit):
    services.add_session(visit.id, slot(), ACTOR)
    services.add_session(visit.id, slot("Cohort 2", "13:30", "16:00", "Education block"), ACTOR)
    services.add_session(visit.id, slot("Cohort 3", "12:00", "13:00", "Chapel"), ACTOR)  # touches
    assert [s.label for s in db.session.get(Visit, visit.id).sessions] == [
        "Cohort 1", "Cohort 3", "Cohort 2"]


@pytest.mark.parametrize("bad,code,field", [
    (slot("Later", "12:00", "09:30", "Library"), "ends_before_start", "ends_at"),
    (slot("Same", "10:00", "10:00", "Library"), "ends_before_start", "ends_at"),
    (slot("Big", room="Library", capacity=201), "capacity_range", "capacity"),
    (slot("Empty", room="Library", capacity=0), "capacity_range", "capacity"),
    (slot("cohort 1", "13:00", "14:00", "Library"), "duplicate_label", "label"),
    (slot("Overlap", "11:00", "13:00", " chapel "), "room_clash", "room"),
])
def test_bad_sessions_are_refused_and_nothing_is_saved(visit, bad, code, field):
    services.add_session(visit.id, slot(), ACTOR)
    with pytest.raises(DomainError) as error:
        services.add_session(visit.id, bad, ACTOR)
    assert (error.value.code, error.value.field) == (code, field)
    db.session.rollback()
    assert count(VisitSession) == 1


def test_a_session_may_be_moved_without_clashing_with_itself(visit):
    first = services.add_session(visit.id, slot(), ACTOR)
    services.update_session(first.id, slot(starts="10:00", ends="12:30"), ACTOR)
    assert db.session.get(VisitSession, first.id).starts_at == time(10, 0)


def test_the_database_refuses_impossible_sessions_too(visit):
    begin_write()
    db.session.add(VisitSession(visit_id=visit.id, label="X", starts_at=time(12), ends_at=time(9),
                                room="R", capacity=5))
    with pytest.raises(Exception, match="(?i)check"):
        db.session.commit()
    db.session.rollback()


def test_a_session_with_volunteers_cannot_be_deleted(visit):
    first = services.add_session(visit.id, slot(), ACTOR)
    sam = planning.volunteer()
    roster.add_to_roster(visit.id, sam.id, "Peer mentor", False, [first.id], ACTOR)
    with pytest.raises(DomainError) as error:
        services.delete_session(first.id, ACTOR)
    assert error.value.code == "session_in_use"
    assert count(VisitSession) == 1


def test_cleared_volunteers_are_confirmed_at_once_others_are_pending(visit, wsi):
    cleared, waiting = planning.volunteer("Ann Cleared"), planning.volunteer("Bo Waiting")
    planning.clear(cleared.id, wsi.id)
    planning.clear(waiting.id, wsi.id, state="submitted")
    assert roster.add_to_roster(visit.id, cleared.id, "IPS", False, [], ACTOR).confirmed
    assert not roster.add_to_roster(visit.id, waiting.id, "Mentor", True, [], ACTOR).confirmed
    rows = {row.name: row for row in roster.roster_rows(visit)}
    assert rows["Ann Cleared"].status == "Confirmed"
    assert rows["Bo Waiting"].status == "Pending: Clearance submitted, not cleared"


def test_an_uncleared_volunteer_cannot_be_confirmed_until_cleared(visit, wsi):
    bo = planning.volunteer("Bo Waiting")
    entry = roster.add_to_roster(visit.id, bo.id, "Mentor", False, [], ACTOR)
    with pytest.raises(DomainError) as error:
        roster.confirm(visit.id, entry.id, ACTOR)
    assert error.value.code == "not_cleared"
    assert not db.session.get(RosterEntry, entry.id).confirmed
    planning.clear(bo.id, wsi.id)
    roster.confirm(visit.id, entry.id, ACTOR)
    assert db.session.get(RosterEntry, entry.id).confirmed


@pytest.mark.parametrize("clearance,reason", [
    ({"state": "refused"}, "Clearance refused"),
    ({"cleared_on": date(2027, 4, 5)}, "Cleared only from"),
    ({"expires_on": date(2027, 3, 30)}, "Clearance expired on 30 March 2027"),
])
def test_clearance_must_hold_on_the_visit_date(visit, wsi, clearance, reason):
    bo = planning.volunteer("Bo")
    planning.clear(bo.id, wsi.id, **({"cleared_on": date(2027, 1, 1)} | clearance))
    entry = roster.add_to_roster(visit.id, bo.id, "Mentor", False, [], ACTOR)
    assert not entry.confirmed
    assert reason in roster.roster_rows(visit)[0].reason


def test_clearance_at_another_prison_does_not_count(visit, wsi):
    bo = planning.volunteer("Bo")
    other = planning.prison("PVI", "HMP Pentonville")
    planning.clear(bo.id, other.id)
    assert not roster.add_to_roster(visit.id, bo.id, "Mentor", False, [], ACTOR).confirmed


def test_roster_refuses_duplicates_other_visits_sessions_and_archived_volunteers(visit, wsi):
    first = services.add_session(visit.id, slot(), ACTOR)
    other_visit = services.create_visit(details(wsi.id, date=date(2027, 5, 5)), ACTOR, TODAY)
    foreign = services.add_session(other_visit.id, slot(), ACTOR)
    sam, gone = planning.volunteer("Sam"), planning.volunteer("Gone")
    begin_write()
    gone.archived = True
    db.session.commit()
    entry = roster.add_to_roster(visit.id, sam.id, "Mentor", False, [first.id, first.id], ACTOR)
    assert len(entry.sessions) == 1
    cases = [
        (lambda: roster.add_to_roster(visit.id, sam.id, "x", False, [], ACTOR), "already_rostered"),
        (lambda: roster.add_to_roster(visit.id, gone.id, "x", False, [], ACTOR),
         "volunteer_unavailable"),
        (lambda: roster.set_sessions(visit.id, entry.id, [foreign.id], ACTOR), "unknown_session"),
        (lambda: roster.confirm(other_visit.id, entry.id, ACTOR), "not_found"),
    ]
    for call, code in cases:
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code == code
        db.session.rollback()
    assert count(RosterEntry) == 1


def test_sessions_can_be_set_and_cleared(visit):
    one = services.add_session(visit.id, slot(), ACTOR)
    two = services.add_session(visit.id, slot("Cohort 2", "13:30", "16:00"), ACTOR)
    entry = roster.add_to_roster(visit.id, planning.volunteer().id, "Mentor", False, [one.id],
                                 ACTOR)
    roster.set_sessions(visit.id, entry.id, [two.id, one.id], ACTOR)
    assert roster.roster_rows(visit)[0].sessions == ["Cohort 1", "Cohort 2"]
    roster.set_sessions(visit.id, entry.id, [], ACTOR)
    assert roster.roster_rows(visit)[0].sessions == []


def test_someone_who_signed_in_stays_on_the_roster(visit):
    entry = roster.add_to_roster(visit.id, planning.volunteer().id, "Mentor", False, [], ACTOR)
    begin_write()
    entry.signed_in_at = db.func.now()
    db.session.commit()
    with pytest.raises(DomainError) as error:
        roster.remove_from_roster(visit.id, entry.id, ACTOR)
    assert error.value.code == "signed_in"
    assert count(RosterEntry) == 1


def test_warnings_before_the_day(visit, wsi):
    assert visit_warnings(visit, TODAY) == ["This visit has no sessions yet."]
    services.add_session(visit.id, slot(), ACTOR)
    near = visit.gate_list_deadline - timedelta(days=2)
    assert "The gate list is due at the prison by Wednesday 17 March 2027 (in 2 days)." in \
        visit_warnings(visit, near)
    assert "has passed" in visit_warnings(visit, visit.gate_list_deadline + timedelta(days=1))[0]
    roster.add_to_roster(visit.id, planning.volunteer("Bo").id, "Mentor", False, [], ACTOR)
    services.change_status(visit.id, "confirmed", ACTOR)
    assert visit_warnings(visit, TODAY) == [
        "This visit is confirmed but 1 rostered volunteer is not cleared for "
        "HMP Wormwood Scrubs on the visit date: Bo."]
    services.change_status(visit.id, "cancelled", ACTOR)
    assert visit_warnings(visit, TODAY) == []
