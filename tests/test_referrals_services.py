"""Self-referrals through the service on a real database: consent, bad input (nothing saved),
exactly-once submissions and edits with their history, concurrent tablets, who may record, and
the audit rows."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.errors import DomainError
from inreach.referrals import services
from inreach.referrals.consent import (
    FIRST_WORDING,
    current_wording,
    publish_wording,
    wording_version,
)
from inreach.referrals.models import (
    ConsentWording,
    Referral,
    ReferralSet,
    SetChange,
    Submission,
)
from inreach.roster.models import RosterEntry

from . import planning
from . import referral_builders as build

TABLES = {"sets": ReferralSet, "referrals": Referral, "submissions": Submission,
          "changes": SetChange, "audit": AuditEvent}


@pytest.fixture
def day(app, make_user):
    """A visit today with two sessions (John and Karl in the morning, Lee in the afternoon) and
    a visit two months ago (Mo); Ada's login is rostered today, Dee's only on the old visit.
    The directory has two referable active services, one not referable and one referable but
    inactive. The consent wording is the first one, not stored until a save uses it (as on a new
    installation). Returns the ids."""
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    users["stranger"] = make_user("volunteer", email="stranger@test.example")
    with app.app_context():
        wsi = planning.prison()
        visit = planning.visit(wsi.id, today(), status="confirmed")
        other = planning.visit(wsi.id, today() - timedelta(days=60), status="completed")
        morning = planning.session(visit.id)
        afternoon = planning.session(visit.id, "Cohort 2", "13:30", "16:00")
        elsewhere = planning.session(other.id)
        ada = planning.volunteer("Ada Fictional", user_id=users["volunteer"])
        dee = planning.volunteer("Dee Fictional", user_id=users["stranger"])
        begin_write()
        db.session.add_all([
            RosterEntry(visit_id=visit.id, volunteer_id=ada.id, role_on_day="IPS",
                        confirmed=True),
            RosterEntry(visit_id=other.id, volunteer_id=dee.id, role_on_day="IPS",
                        confirmed=True)])
        db.session.commit()
        men = {"john": build.man(visit.id, morning.id, "A1234BC"),
               "karl": build.man(visit.id, morning.id, "B2345CD", "Karl", "Madeup"),
               "lee": build.man(visit.id, afternoon.id, "C3456DE", "Lee", "Invented"),
               "mo": build.man(other.id, elsewhere.id, "D4567EF", "Mo", "Pretend")}
        directory = {"housing": build.service("Housing advice"),
                     "work": build.service("Work coach"),
                     "leaflet": build.service("Leaflet only", referable=False),
                     "closed": build.service("Closed project", status="inactive")}
        return {"visit": visit.id, "other": other.id, "other_date": other.date,
                "morning": morning.id, "afternoon": afternoon.id, "elsewhere": elsewhere.id,
                "users": users, "wording": current_wording().version,
                **{name: member.public_id for name, member in men.items()},
                **{name: item.id for name, item in directory.items()}}


@pytest.fixture
def ctx(app_context, day):
    """Service tests: the day's ids, inside an app context."""
    return day


def actor(ctx, role: str = "organiser") -> User:
    """The user with this key in the day's users."""
    return db.session.get(User, ctx["users"][role])


def capture(ctx, man: str = "john", **values) -> services.Capture:
    """A submission for one of the day's men, read the current wording unless told otherwise."""
    return build.capture(ctx[man], **{"consent_version": ctx["wording"], **values})


def save(ctx, submission: services.Capture, role: str = "organiser", visit: str = "visit",
         session: str = "morning"):
    """Save through the service as one of the day's users."""
    return services.save(ctx[visit], ctx[session], submission, actor(ctx, role))


def counts() -> dict[str, int]:
    """Rows in every table a save writes to."""
    return {name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in TABLES.items()}


def refused(code: str, ctx, submission: services.Capture, **where) -> DomainError:
    """Assert the service refuses with this code and that nothing was written (even if the
    caller went on to commit)."""
    before = counts()
    with pytest.raises(DomainError) as caught:
        save(ctx, submission, **where)
    db.session.commit()
    assert caught.value.code == code
    assert counts() == before
    return caught.value


def audit_rows() -> list[tuple]:
    """Referral audit rows as (action, actor, object type, object id, detail)."""
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("referral%"))
                              .order_by(AuditEvent.id))
    return [(row.action, row.actor_id, row.object_type, row.object_id, row.detail)
            for row in rows]


def statuses(referral_set: ReferralSet) -> dict[int, tuple[bool, str]]:
    """The set's referrals, read fresh, as service id -> (consent, status)."""
    db.session.expire_all()
    rows = db.session.scalars(select(Referral).where(Referral.set_id == referral_set.id))
    return {row.service_id: (row.consent, row.status) for row in rows}


# --- consent ---------------------------------------------------------------------------------

def test_yes_makes_a_referral_and_no_records_the_choice_without_sending(ctx):
    housing, work = ctx["housing"], ctx["work"]
    saved, repeat = save(ctx, capture(ctx, chosen=[housing, work],
                                      consent={housing: True, work: False}))
    assert repeat is False
    assert statuses(saved) == {housing: (True, "made"), work: (False, "not_shared")}
    assert saved.declined_everything is False
    assert saved.member.public_id == ctx["john"] and saved.session_id == ctx["morning"]
    assert saved.recorded_by == ctx["users"]["organiser"]
    assert (saved.channel, saved.paper_date) == ("tablet", None)


@pytest.mark.parametrize("answers", [{}, {"housing": None}, {"work": True}],
                         ids=["missing", "none", "only-the-other"])
def test_a_chosen_service_without_a_yes_or_no_is_refused(ctx, answers):
    consent = {ctx[name]: answer for name, answer in answers.items()}
    error = refused("consent_missing", ctx,
                    capture(ctx, chosen=[ctx["housing"], ctx["work"]], consent=consent))
    assert error.field == f"consent_{ctx['housing']}"  # the form's field for that question


def test_choosing_nothing_is_declined_everything(ctx):
    saved, _ = save(ctx, capture(ctx, consent={ctx["housing"]: True}))  # an answer, not chosen
    assert saved.referrals == [] and saved.declined_everything is True
    assert counts()["referrals"] == 0 and counts()["sets"] == 1


def test_the_set_keeps_the_wording_he_heard(ctx):
    first = ctx["wording"]
    newer = publish_wording("A newer wording, long enough to be the whole of it. " * 2,
                            ctx["users"]["admin"]).version
    heard_first, _ = save(ctx, capture(ctx, "john"))  # read out before the new one came in
    heard_newer, _ = save(ctx, capture(ctx, "karl", consent_version=newer))
    db.session.expire_all()
    assert heard_first.consent_wording.version == first
    assert heard_first.consent_wording.text == FIRST_WORDING
    assert heard_newer.consent_wording.version == newer != first


@pytest.mark.parametrize("version", [None, 0, 99])
def test_an_unknown_consent_wording_is_refused(ctx, version):
    error = refused("bad_consent_version", ctx, capture(ctx, consent_version=version))
    assert error.field == "consent"


# --- bad input: a clear code and nothing saved -----------------------------------------------

@pytest.mark.parametrize("man", ["lee", "mo", "nobody"])
def test_a_man_not_in_this_session_is_refused(ctx, man):
    public_id = "0" * 16 if man == "nobody" else ctx[man]
    refused("wrong_session", ctx, build.capture(public_id, consent_version=ctx["wording"]))


def test_a_session_of_another_visit_is_refused(ctx):
    refused("not_found", ctx, capture(ctx, "mo"), session="elsewhere")


@pytest.mark.parametrize("service", ["leaflet", "closed", "nonexistent"])
def test_a_service_that_takes_no_referrals_is_refused(ctx, service):
    service_id = ctx.get(service, 10_000)
    error = refused("not_referable", ctx,
                    capture(ctx, chosen=[ctx["housing"], service_id],
                            consent={ctx["housing"]: True, service_id: True}))
    assert error.field == "chosen"


def test_notes_up_to_the_limit_are_kept_and_longer_ones_refused(ctx):
    error = refused("too_long", ctx, capture(ctx, notes="x" * 501))
    assert error.field == "notes"
    saved, _ = save(ctx, capture(ctx, notes="x" * 500))
    assert len(saved.notes) == 500


def test_a_bad_phone_is_refused_and_a_good_one_kept_with_its_message_choice(ctx):
    error = refused("bad_phone", ctx, capture(ctx, phone="ring my mum", safe_message=True))
    assert error.field == "phone"
    saved, _ = save(ctx, capture(ctx, phone=" 07700 900123 ", safe_message=True))
    assert (saved.phone, saved.safe_message) == ("07700 900123", True)


def test_no_phone_means_no_answer_about_messages(ctx):
    saved, _ = save(ctx, capture(ctx, phone="", safe_message=False))
    assert saved.safe_message is None


@pytest.mark.parametrize(("offset", "code"), [(None, "paper_date_missing"),
                                              (1, "paper_date_range"),
                                              (-1, "paper_date_range")])
def test_a_paper_form_needs_its_date_between_the_visit_and_today(ctx, offset, code):
    day = None if offset is None else today() + timedelta(days=offset)
    error = refused(code, ctx, capture(ctx, channel="paper", paper_date=day))
    assert error.field == "paper_date"


def test_a_paper_form_from_an_earlier_visit_may_carry_any_day_since(ctx):
    visit_day = ctx["other_date"]
    where = {"visit": "other", "session": "elsewhere"}
    refused("paper_date_range", ctx,
            capture(ctx, "mo", channel="paper", paper_date=visit_day - timedelta(days=1)),
            **where)
    saved, _ = save(ctx, capture(ctx, "mo", channel="paper", paper_date=visit_day), **where)
    assert (saved.channel, saved.paper_date) == ("paper", visit_day)


def test_a_date_on_a_tablet_capture_is_dropped(ctx):
    saved, _ = save(ctx, capture(ctx, channel="offline", paper_date=today()))
    assert (saved.channel, saved.paper_date) == ("offline", None)


@pytest.mark.parametrize(("name", "value"), [("housing", "castle"), ("contact_by", "pigeon"),
                                             ("consent_method", "telepathy"),
                                             ("channel", "fax")])
def test_a_choice_not_on_the_list_is_refused(ctx, name, value):
    error = refused("bad_choice", ctx, capture(ctx, **{name: value}))
    assert error.field == name


@pytest.mark.parametrize("client_id", ["", None, "short", "has spaces in it", "é" * 10,
                                       "x" * 65])
def test_a_missing_or_malformed_client_id_is_refused(ctx, client_id):
    refused("bad_client_id", ctx, capture(ctx, client_id=client_id))


# --- exactly once, and edits -----------------------------------------------------------------

def test_the_same_submission_again_returns_the_first_answer(ctx):
    housing = ctx["housing"]
    submission = capture(ctx, chosen=[housing], consent={housing: True})
    first, _ = save(ctx, submission)
    after_first = counts()
    submission.channel = "offline"  # the outbox resending it later is the same submission
    again, repeat = save(ctx, submission)
    assert repeat is True and again.id == first.id
    assert counts() == after_first
    assert after_first["sets"] == after_first["submissions"] == after_first["referrals"] == 1


def test_the_same_id_with_different_content_is_refused(ctx):
    submission = capture(ctx, housing="unknown")
    saved, _ = save(ctx, submission)
    submission.housing = "no_fixed_abode"
    refused("id_reused", ctx, submission)
    db.session.expire_all()
    assert db.session.get(ReferralSet, saved.id).housing == "unknown"


def test_a_second_new_set_for_the_same_man_is_refused(ctx):
    save(ctx, capture(ctx, notes="first tablet"))
    refused("already_recorded", ctx, capture(ctx, notes="second tablet"), role="volunteer")


def edit(ctx, referral_set: ReferralSet, role: str = "organiser", **values):
    """Change a saved set as the form does: a new client id and the set's public id."""
    return save(ctx, capture(ctx, set_id=referral_set.public_id, **values), role=role)


def test_an_edit_changes_fields_and_referrals_and_keeps_the_history(ctx):
    housing, work = ctx["housing"], ctx["work"]
    food = build.service("Food bank").id
    saved, _ = save(ctx, capture(ctx, chosen=[housing, work],
                                 consent={housing: True, work: False}))
    kept = {row.service_id: row.id for row in saved.referrals}
    audit_before = len(audit_rows())
    volunteer = ctx["users"]["volunteer"]

    changed, repeat = edit(ctx, saved, "volunteer", housing="address_known",
                           phone="07700 900123", safe_message=True, notes="Wants a CV",
                           chosen=[work, food], consent={work: True, food: False})

    assert repeat is False and changed.id == saved.id
    assert statuses(saved) == {work: (True, "made"), food: (False, "not_shared")}
    db.session.expire_all()
    fresh = db.session.get(ReferralSet, saved.id)
    assert (fresh.housing, fresh.phone, fresh.safe_message, fresh.notes) == (
        "address_known", "07700 900123", True, "Wants a CV")
    assert fresh.recorded_by == ctx["users"]["organiser"]  # who first recorded it stays
    history = db.session.scalars(select(SetChange).where(SetChange.set_id == saved.id)).all()
    assert len(history) == 1 and history[0].changed_by == volunteer
    assert json.loads(history[0].changes) == {
        "housing": ["unknown", "address_known"],
        "phone": ["", "07700 900123"],
        "safe_message": [None, True],
        "notes": ["", "Wants a CV"],
        "services": [sorted([f"{housing}:shared", f"{work}:not shared"]),
                     sorted([f"{work}:shared", f"{food}:not shared"])]}
    food_referral = db.session.scalar(select(Referral.id).where(Referral.service_id == food))
    assert audit_rows()[audit_before:] == [
        ("referral_set.changed", volunteer, "referral_set", str(saved.id), None),
        ("referral.withdrawn", volunteer, "referral", str(kept[housing]), None),
        ("referral.changed", volunteer, "referral", str(kept[work]), None),
        ("referral.created", volunteer, "referral", str(food_referral), None)]
    assert counts()["submissions"] == 2


def test_an_edit_sent_twice_is_stored_once(ctx):
    saved, _ = save(ctx, capture(ctx))
    submission = capture(ctx, set_id=saved.public_id, notes="Changed once")
    save(ctx, submission)
    after = counts()
    _, repeat = save(ctx, submission)
    assert repeat is True and counts() == after and after["changes"] == 1


def test_an_edit_that_changes_nothing_leaves_no_history(ctx):
    saved, _ = save(ctx, capture(ctx, chosen=[ctx["work"]], consent={ctx["work"]: True}))
    before = counts()
    edit(ctx, saved, chosen=[ctx["work"]], consent={ctx["work"]: True})
    assert counts() == {**before, "submissions": before["submissions"] + 1}


def test_an_edit_under_a_new_wording_records_the_wording_change(ctx):
    saved, _ = save(ctx, capture(ctx))
    newer = publish_wording("A newer wording, long enough to be the whole of it. " * 2,
                            ctx["users"]["admin"]).version
    edit(ctx, saved, consent_version=newer)
    db.session.expire_all()
    assert db.session.get(ReferralSet, saved.id).consent_wording.version == newer
    change = db.session.scalar(select(SetChange.changes))
    assert json.loads(change) == {"consent_version": [ctx["wording"], newer]}


# --- several tablets at once -----------------------------------------------------------------

def all_at_once(app, ctx, submissions: list[services.Capture]) -> list:
    """Each submission from its own thread and app context, released together; returns, in
    order, (set id, repeat) for a save, the code of a DomainError, or any other exception."""
    results: list = [None] * len(submissions)
    start = threading.Barrier(len(submissions), timeout=60)

    def tablet(number: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, ctx["users"]["volunteer"])
                db.session.rollback()  # hold no lock while waiting for the others
                start.wait()
                saved, repeat = services.save(ctx["visit"], ctx["morning"],
                                              submissions[number], user)
                results[number] = (saved.id, repeat)
            except DomainError as error:
                results[number] = error.code
            except Exception as error:  # noqa: BLE001  reported by the assertions
                results[number] = error
            finally:
                db.session.remove()

    workers = [threading.Thread(target=tablet, args=(n,)) for n in range(len(submissions))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    return results


def rows_added(app, before: dict[str, int]) -> dict[str, int]:
    """How many rows each table gained since the counts given."""
    with app.app_context():
        return {name: count - before[name] for name, count in counts().items()}


@pytest.mark.parametrize("first_use", [True, False], ids=["first-use-of-wording", "stored"])
def test_ten_tablets_sending_the_same_submission_store_it_once(app, day, first_use):
    housing, work = day["housing"], day["work"]
    submission = capture(day, chosen=[housing, work], consent={housing: True, work: False})
    with app.app_context():
        if not first_use:
            begin_write()
            wording_version(day["wording"])  # stores the first wording
            db.session.commit()
        before = counts()
    results = all_at_once(app, day, [submission] * 10)
    assert all(isinstance(result, tuple) for result in results), results
    assert len({set_id for set_id, _ in results}) == 1
    assert sorted(repeat for _, repeat in results) == [False] + [True] * 9
    assert rows_added(app, before) == {"sets": 1, "referrals": 2, "submissions": 1,
                                       "changes": 0, "audit": 3}


def test_ten_tablets_recording_the_same_man_store_one_set(app, day):
    submissions = [capture(day, notes=f"tablet {n}") for n in range(10)]
    with app.app_context():
        before = counts()
    results = all_at_once(app, day, submissions)
    saved = [result for result in results if isinstance(result, tuple)]
    assert len(saved) == 1 and saved[0][1] is False, results
    assert sorted(result for result in results if not isinstance(result, tuple)) == [
        "already_recorded"] * 9
    assert rows_added(app, before) == {"sets": 1, "referrals": 0, "submissions": 1,
                                       "changes": 0, "audit": 1}


def test_ten_tablets_recording_ten_men_on_the_first_day_all_succeed(app, day):
    with app.app_context():
        men = [build.man(day["visit"], day["morning"], f"E{n:04d}FG").public_id
               for n in range(10)]
        before = counts()
    results = all_at_once(app, day, [build.capture(man, consent_version=day["wording"])
                                     for man in men])
    assert all(isinstance(result, tuple) and result[1] is False for result in results), results
    assert len({set_id for set_id, _ in results}) == 10
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentWording)) == 1
    assert rows_added(app, before)["sets"] == 10


# --- who may record --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["stranger", "auditor"])
def test_only_people_who_may_mark_the_visit_may_record(ctx, role):
    error = refused("not_allowed", ctx, capture(ctx), role=role)
    assert error.field is None


@pytest.mark.parametrize("role", ["volunteer", "organiser", "admin"])
def test_rostered_volunteers_and_planners_may_record(ctx, role):
    saved, _ = save(ctx, capture(ctx), role=role)
    assert saved.recorded_by == ctx["users"][role]


def test_a_repeat_is_refused_to_someone_who_may_not_record(ctx):
    submission = capture(ctx)
    save(ctx, submission)
    refused("not_allowed", ctx, submission, role="stranger")


# --- audit -----------------------------------------------------------------------------------

def test_saving_leaves_audit_rows_of_ids_only(ctx):
    housing, work = ctx["housing"], ctx["work"]
    saved, _ = save(ctx, capture(ctx, chosen=[housing, work],
                                 consent={housing: True, work: False}, notes="Private words"),
                    role="volunteer")
    volunteer = ctx["users"]["volunteer"]
    referral_ids = {row.service_id: row.id for row in saved.referrals}
    assert audit_rows() == [
        ("referral_set.created", volunteer, "referral_set", str(saved.id), None),
        ("referral.created", volunteer, "referral", str(referral_ids[housing]), None),
        ("referral.created", volunteer, "referral", str(referral_ids[work]), None)]
