"""Every rule of a referral's status, tested directly (``inreach.followup.rules``), then the one
service that applies them on the real database: all or nothing, an event and an audit row per
referral, the referral's facts kept up to date. And a sent referral cannot be changed by an
edit of his capture form."""

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.audit.models import AuditEvent
from inreach.database import db
from inreach.errors import DomainError
from inreach.followup.models import ReferralEvent
from inreach.followup.rules import (
    REASON_OTHER_MAX,
    Change,
    Facts,
    check,
    check_hours,
    check_outcome_date,
)
from inreach.followup.services import By, change_status
from inreach.followup.vocabulary import (
    CLOSE_REASONS,
    DECLINE_REASONS,
    MAX_HOURS,
    NEXT,
    SENT_HOW,
    STATUSES,
)
from inreach.referrals import services as capture_services
from inreach.referrals.consent import current_wording
from inreach.referrals.models import Referral, SetChange

from . import followup_world as fw
from . import referral_builders as build

TODAY = date(2027, 3, 15)
VISIT = date(2027, 2, 1)
SENT = date(2027, 2, 3)


def facts(status: str = "made", consent: bool = True, sent_on: date | None = None) -> Facts:
    """A referral made at the visit on 1 February; sent on 3 February once past "made"."""
    if sent_on is None and status not in ("made", "not_shared"):
        sent_on = SENT
    return Facts(reference="ABC123", status=status, consent=consent, visit_date=VISIT,
                 sent_on=sent_on)


def good(status: str, on: date = TODAY) -> Change:
    """A change to this status that every other rule accepts."""
    reasons = {"declined": "not_eligible", "closed": "completed"}
    return Change(status=status, on=on, reason=reasons.get(status, ""),
                  sent_how="phone" if status == "sent" else "")


def refused(facts_: Facts, change: Change) -> DomainError:
    """The rules' refusal of this change."""
    with pytest.raises(DomainError) as caught:
        check(facts_, change, TODAY)
    return caught.value


# --- moves ------------------------------------------------------------------------------------

MOVES = [(old, new) for old in STATUSES if old != "not_shared" for new in STATUSES]


@pytest.mark.parametrize(("old", "new"), MOVES)
def test_each_move_is_allowed_exactly_when_next_lists_it(old, new):
    if new in NEXT[old]:
        check(facts(old), good(new), TODAY)
    else:
        error = refused(facts(old), good(new))
        assert (error.code, error.field) == ("bad_move", "status")
        assert "ABC123" in error.message


def test_the_allowed_moves_read_as_the_issue_says():
    assert NEXT["made"] == ("sent", "closed")  # no answer before it is sent
    assert "accepted" not in NEXT["made"] and "first_contact" not in NEXT["made"]
    assert NEXT["closed"] == () and NEXT["not_shared"] == ()
    assert set(NEXT["sent"]) == {"accepted", "declined", "no_contact", "first_contact", "closed"}


@pytest.mark.parametrize("new", list(STATUSES))
def test_nothing_moves_a_referral_he_did_not_agree_to_share(new):
    error = refused(facts("not_shared", consent=False), good(new))
    assert (error.code, error.field) == ("no_consent", "status")


def test_an_unknown_status_is_refused():
    assert refused(facts(), good("lost")).code == "bad_status"


# --- dates ------------------------------------------------------------------------------------

def test_a_date_is_needed():
    error = refused(facts(), Change("sent", None, sent_how="post"))
    assert (error.code, error.field) == ("no_date", "on")


def test_a_date_in_the_future_is_refused_and_today_accepted():
    assert refused(facts(), good("sent", TODAY + timedelta(days=1))).code == "future"
    check(facts(), good("sent", TODAY), TODAY)


def test_a_date_before_the_visit_is_refused_and_the_visit_day_accepted():
    error = refused(facts(), good("sent", VISIT - timedelta(days=1)))
    assert (error.code, error.field) == ("before_visit", "on")
    assert "1 February 2027" in error.message
    check(facts(), good("sent", VISIT), TODAY)


@pytest.mark.parametrize("new", ["accepted", "declined", "no_contact", "first_contact", "closed"])
def test_an_answer_before_the_referral_was_sent_is_refused(new):
    error = refused(facts("sent"), good(new, SENT - timedelta(days=1)))
    assert (error.code, error.field) == ("before_sent", "on")
    assert "3 February 2027" in error.message
    check(facts("sent"), good(new, SENT), TODAY)


# --- reasons and how it was sent ---------------------------------------------------------------

@pytest.mark.parametrize(("new", "reasons"), [("declined", DECLINE_REASONS),
                                              ("closed", CLOSE_REASONS)])
def test_declined_and_closed_need_a_reason_from_their_own_list(new, reasons):
    for reason in ("", "lost_interest", *(set(DECLINE_REASONS) ^ set(CLOSE_REASONS))):
        if reason in reasons:
            continue
        error = refused(facts("sent"), Change(new, TODAY, reason=reason))
        assert (error.code, error.field) == ("no_reason", "reason"), reason
    for reason in reasons:
        if reason != "other":
            check(facts("sent"), Change(new, TODAY, reason=reason), TODAY)


@pytest.mark.parametrize("new", ["declined", "closed"])
def test_other_needs_its_words_within_the_limit(new):
    for words in ("", "   "):
        error = refused(facts("sent"), Change(new, TODAY, reason="other", reason_other=words))
        assert (error.code, error.field) == ("no_other", "reason_other")
    check(facts("sent"), Change(new, TODAY, reason="other", reason_other="x" * REASON_OTHER_MAX),
          TODAY)
    error = refused(facts("sent"), Change(new, TODAY, reason="other",
                                          reason_other="x" * (REASON_OTHER_MAX + 1)))
    assert (error.code, error.field) == ("too_long", "reason_other")


def test_other_statuses_need_no_reason():
    for new in ("accepted", "no_contact", "first_contact"):
        check(facts("sent"), Change(new, TODAY), TODAY)


def test_sent_needs_how_it_was_sent():
    for how in ("", "link", "recorded", "pigeon"):
        error = refused(facts(), Change("sent", TODAY, sent_how=how))
        assert (error.code, error.field) == ("bad_how", "sent_how"), how
    for how in SENT_HOW:
        check(facts(), Change("sent", TODAY, sent_how=how), TODAY)


# --- hours and outcome dates ------------------------------------------------------------------

@pytest.mark.parametrize("hours", [0, 0.5, 3.99, 4, 7.5, 16, 37.5, MAX_HOURS])
def test_hours_from_nought_to_eighty_are_accepted_decimals_too(hours):
    check_hours(hours)


@pytest.mark.parametrize("hours", [-0.5, -1, MAX_HOURS + 0.5, 168, math.nan, math.inf])
def test_hours_outside_nought_to_eighty_are_refused(hours):
    with pytest.raises(DomainError) as caught:
        check_hours(hours)
    assert (caught.value.code, caught.value.field) == ("bad_hours", "hours_per_week")


def test_missing_hours_are_refused():
    with pytest.raises(DomainError) as caught:
        check_hours(None)
    assert (caught.value.code, caught.value.field) == ("no_hours", "hours_per_week")


@pytest.mark.parametrize(("on", "code"), [(None, "no_date"), (TODAY + timedelta(days=1), "future"),
                                          (VISIT - timedelta(days=1), "before_visit")])
def test_an_outcome_date_is_given_after_the_visit_and_not_in_the_future(on, code):
    with pytest.raises(DomainError) as caught:
        check_outcome_date(on, VISIT, TODAY, "started_on")
    assert (caught.value.code, caught.value.field) == (code, "started_on")


def test_an_outcome_date_from_the_visit_to_today_is_accepted():
    for on in (VISIT, SENT, TODAY):
        check_outcome_date(on, VISIT, TODAY, "profile_started_on")


# --- change_status on the real database --------------------------------------------------------

@pytest.fixture
def ctx(app_context, make_user):
    """A visit 30 days ago; John referred to housing (shared) and IPS (not shared)."""
    ctx = fw.world(make_user)
    ctx["refs"] = fw.refer(ctx, "john", {ctx["housing"]: True, ctx["ips"]: False})
    return ctx


def rows(model) -> int:
    """How many rows the table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def status_audit() -> list[tuple]:
    """The status audit rows as (actor, object type, object id, detail)."""
    return [(row.actor_id, row.object_type, row.object_id, row.detail)
            for row in db.session.scalars(select(AuditEvent).where(
                AuditEvent.action == "referral.status").order_by(AuditEvent.id))]


def test_one_referral_that_may_not_move_stops_them_all(ctx):
    housing, ips = ctx["refs"][ctx["housing"]], ctx["refs"][ctx["ips"]]
    before = (rows(ReferralEvent), rows(AuditEvent))
    with pytest.raises(DomainError) as caught:
        fw.move(ctx, [housing, ips], "sent", fw.ago(1), sent_how="post")
    assert caught.value.code == "no_consent"
    assert (rows(ReferralEvent), rows(AuditEvent)) == before
    assert (fw.fresh(housing).status, fw.fresh(housing).sent_on) == ("made", None)
    assert fw.fresh(ips).status == "not_shared"


def test_an_unknown_referral_is_refused_and_nothing_moves(ctx):
    housing = ctx["refs"][ctx["housing"]]
    for ids in ([housing, 999_999], []):
        with pytest.raises(DomainError) as caught:
            fw.move(ctx, ids, "sent", fw.ago(1), sent_how="post")
        assert caught.value.code == "not_found"
    assert fw.fresh(housing).status == "made" and rows(ReferralEvent) == 0


def test_each_change_keeps_an_event_and_an_audit_row_of_ids_only(ctx):
    organiser = ctx["users"]["organiser"]
    housing = ctx["refs"][ctx["housing"]]
    fw.move(ctx, [housing], "sent", fw.ago(20), sent_how="post")
    change_status([housing], Change("declined", fw.ago(10), reason="other",
                                    reason_other="  Waiting list closed  "), By(None, "link"))
    events = db.session.scalars(select(ReferralEvent).order_by(ReferralEvent.id)).all()
    assert [(e.status, e.from_status, e.on_date, e.how, e.actor_id, e.reason, e.reason_other)
            for e in events] == [
        ("sent", "made", fw.ago(20), "post", organiser, "", ""),
        ("declined", "sent", fw.ago(10), "link", None, "other", "Waiting list closed")]
    assert status_audit() == [(organiser, "referral", str(housing), None),
                              (None, "referral", str(housing), None)]


def test_the_referral_keeps_its_latest_facts(ctx):
    housing = ctx["refs"][ctx["housing"]]
    fw.move(ctx, [housing], "sent", fw.ago(25), sent_how="portal")
    referral = fw.fresh(housing)
    assert (referral.status, referral.sent_on, referral.sent_how) == ("sent", fw.ago(25),
                                                                     "portal")
    assert referral.status_changed_at is not None
    fw.move(ctx, [housing], "declined", fw.ago(20), reason="no_capacity")
    referral = fw.fresh(housing)
    assert (referral.answered_on, referral.reason) == (fw.ago(20), "no_capacity")
    fw.move(ctx, [housing], "accepted", fw.ago(15))  # a correction among answers
    referral = fw.fresh(housing)
    assert (referral.status, referral.answered_on, referral.reason) == ("accepted", fw.ago(15),
                                                                        "")
    fw.move(ctx, [housing], "first_contact", fw.ago(5))
    referral = fw.fresh(housing)
    assert (referral.first_contact_on, referral.answered_on) == (fw.ago(5), fw.ago(15))
    fw.move(ctx, [housing], "closed", fw.ago(1), reason="other", reason_other="Moved to Leeds")
    referral = fw.fresh(housing)
    assert (referral.status, referral.closed_on, referral.reason, referral.reason_other) == (
        "closed", fw.ago(1), "other", "Moved to Leeds")
    assert referral.first_contact_on == fw.ago(5)


def test_first_contact_straight_after_sending_counts_as_the_answer(ctx):
    housing = ctx["refs"][ctx["housing"]]
    fw.sent(ctx, housing)
    fw.move(ctx, [housing], "first_contact", fw.ago(3))
    referral = fw.fresh(housing)
    assert (referral.answered_on, referral.first_contact_on) == (fw.ago(3), fw.ago(3))


def test_a_date_before_sending_is_refused_on_the_database_too(ctx):
    housing = ctx["refs"][ctx["housing"]]
    fw.sent(ctx, housing, fw.ago(10))
    with pytest.raises(DomainError) as caught:
        fw.move(ctx, [housing], "accepted", fw.ago(11))
    assert caught.value.code == "before_sent"
    assert fw.fresh(housing).status == "sent" and rows(ReferralEvent) == 1


def test_several_referrals_move_together(ctx):
    karl = fw.refer(ctx, "karl", {ctx["housing"]: True})[ctx["housing"]]
    john = ctx["refs"][ctx["housing"]]
    fw.move(ctx, [john, karl], "sent", fw.ago(2), sent_how="email")
    assert {fw.fresh(john).status, fw.fresh(karl).status} == {"sent"}
    assert rows(ReferralEvent) == 2 and len(status_audit()) == 2


# --- an edit of his capture form cannot change a sent referral ----------------------------------

def test_an_edit_cannot_change_or_remove_a_sent_referral(ctx):
    housing, ips = ctx["housing"], ctx["ips"]
    fw.sent(ctx, ctx["refs"][housing])
    referral_set = db.session.scalar(select(Referral).where(
        Referral.id == ctx["refs"][housing])).referral_set
    public_id = referral_set.public_id
    organiser = db.session.get(User, ctx["users"]["organiser"])
    before = (rows(SetChange), rows(AuditEvent), rows(Referral))
    for chosen, consent in (([ips], {ips: False}),  # removes the sent referral
                            ([housing, ips], {housing: False, ips: False})):  # unshares it
        with pytest.raises(DomainError) as caught:
            capture_services.save(ctx["visit"], ctx["session"], build.capture(
                ctx["john"], consent_version=current_wording().version, set_id=public_id,
                chosen=chosen, consent=consent, notes="Changed"), organiser)
        assert caught.value.code == "already_sent"
        assert "Housing advice" in caught.value.message
    db.session.commit()
    assert (rows(SetChange), rows(AuditEvent), rows(Referral)) == before
    referral = fw.fresh(ctx["refs"][housing])
    assert (referral.status, referral.consent) == ("sent", True)
    assert referral.referral_set.notes == ""


def test_an_edit_may_still_change_a_referral_not_yet_sent(ctx):
    housing, ips = ctx["housing"], ctx["ips"]
    fw.sent(ctx, ctx["refs"][housing])
    public_id = fw.fresh(ctx["refs"][housing]).referral_set.public_id
    organiser = db.session.get(User, ctx["users"]["organiser"])
    capture_services.save(ctx["visit"], ctx["session"], build.capture(
        ctx["john"], consent_version=current_wording().version, set_id=public_id,
        chosen=[housing, ips], consent={housing: True, ips: True}), organiser)
    assert fw.fresh(ctx["refs"][ips]).status == "made"
    assert fw.fresh(ctx["refs"][housing]).status == "sent"
