"""Check-in on the day and volunteer hours: the rules, the hours maths, the CSV, the audit rows,
who may do what, and the tablet pages through HTTP."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.audit.models import AuditEvent
from inreach.checkin import services
from inreach.database import begin_write, db, utcnow
from inreach.dates import local, today
from inreach.errors import DomainError
from inreach.roster.models import RosterEntry
from inreach.visits.services import may_view

from . import planning
from .conftest import csrf_token, log_in

SUMMER_IN = datetime(2027, 6, 14, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)


@pytest.fixture
def day(app, make_user):
    """A visit today with Ada (linked to the volunteer login), Ben, and Cy (not confirmed) on
    its roster; another visit with Ben; a volunteer login whose volunteer is on no roster.
    Returns the ids."""
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    users["stranger"] = make_user("volunteer", email="stranger@test.example")
    with app.app_context():
        wsi = planning.prison()
        visit = planning.visit(wsi.id, today(), status="confirmed")
        other = planning.visit(wsi.id, today(), status="confirmed")
        ada = planning.volunteer("Ada Fictional", user_id=users["volunteer"])
        ben = planning.volunteer("Ben Fictional", organisation="Fictional Probation")
        cy = planning.volunteer("Cy Fictional")
        planning.volunteer("Dee Fictional", user_id=users["stranger"])
        entries = {
            "ada": RosterEntry(visit_id=visit.id, volunteer_id=ada.id, role_on_day="IPS",
                               confirmed=True),
            "ben": RosterEntry(visit_id=visit.id, volunteer_id=ben.id, role_on_day="Probation",
                               confirmed=True),
            "cy": RosterEntry(visit_id=visit.id, volunteer_id=cy.id, role_on_day="Peer mentor"),
            "ben_other": RosterEntry(visit_id=other.id, volunteer_id=ben.id,
                                     role_on_day="Probation", confirmed=True),
        }
        begin_write()
        db.session.add_all(entries.values())
        db.session.commit()
        return {"visit": visit.id, "other": other.id, "users": users,
                **{name: entry.id for name, entry in entries.items()}}


@pytest.fixture
def ctx(app_context, day):
    """Service tests: the day's ids, inside an app context."""
    return day


def entry(entry_id: int) -> RosterEntry:
    """A roster entry read fresh from the database."""
    db.session.expire_all()
    return db.session.get(RosterEntry, entry_id)


def audit_actions() -> list[tuple]:
    """Every check-in audit row as (action, actor, object type, object id, detail)."""
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("checkin.%"))
                              .order_by(AuditEvent.id))
    return [(row.action, row.actor_id, row.object_type, row.object_id, row.detail)
            for row in rows]


def refused(code: str, action, *args):
    """Assert the service refuses with this code."""
    with pytest.raises(DomainError) as caught:
        action(*args)
    assert caught.value.code == code
    return caught.value


# --- the rules -------------------------------------------------------------------------------

def test_sign_in_and_out_record_the_time_and_an_audit_row_each(ctx):
    organiser = ctx["users"]["organiser"]
    before = utcnow()
    services.sign_in(ctx["ben"], organiser)
    services.sign_out(ctx["ben"], organiser)
    ben = entry(ctx["ben"])
    assert before <= ben.signed_in_at <= ben.signed_out_at <= utcnow()
    assert audit_actions() == [
        ("checkin.signed_in", organiser, "roster_entry", str(ctx["ben"]), None),
        ("checkin.signed_out", organiser, "roster_entry", str(ctx["ben"]), None)]


def test_signing_in_twice_is_refused_and_changes_nothing(ctx):
    organiser = ctx["users"]["organiser"]
    services.sign_in(ctx["ben"], organiser)
    first = entry(ctx["ben"]).signed_in_at
    error = refused("already_signed_in", services.sign_in, ctx["ben"], organiser)
    assert "Ben Fictional is already signed in" in error.message
    assert entry(ctx["ben"]).signed_in_at == first
    assert len(audit_actions()) == 1


def test_signing_out_before_signing_in_is_refused(ctx):
    refused("not_signed_in", services.sign_out, ctx["ben"], ctx["users"]["organiser"])
    assert entry(ctx["ben"]).signed_out_at is None
    assert audit_actions() == []


def test_signing_out_twice_is_refused_and_keeps_the_first_time(ctx):
    organiser = ctx["users"]["organiser"]
    services.sign_in(ctx["ben"], organiser)
    services.sign_out(ctx["ben"], organiser)
    first = entry(ctx["ben"]).signed_out_at
    refused("already_signed_out", services.sign_out, ctx["ben"], organiser)
    assert entry(ctx["ben"]).signed_out_at == first


def test_nobody_signs_in_on_a_cancelled_visit(ctx):
    begin_write()
    entry(ctx["ben"]).visit.status = "cancelled"
    db.session.commit()
    refused("visit_cancelled", services.sign_in, ctx["ben"], ctx["users"]["organiser"])
    assert entry(ctx["ben"]).signed_in_at is None


def test_someone_signed_in_can_still_sign_out_after_the_visit_is_cancelled(ctx):
    services.sign_in(ctx["ben"], ctx["users"]["organiser"])
    begin_write()
    entry(ctx["ben"]).visit.status = "cancelled"
    db.session.commit()
    services.sign_out(ctx["ben"], ctx["users"]["organiser"])
    assert entry(ctx["ben"]).signed_out_at is not None


def test_a_volunteer_not_confirmed_cannot_sign_in(ctx):
    refused("not_confirmed", services.sign_in, ctx["cy"], ctx["users"]["organiser"])


@pytest.mark.parametrize("days, words", [(1, "opens on the day"), (-1, "closed")])
def test_signing_in_is_only_on_the_day_of_the_visit(ctx, days, words):
    begin_write()
    entry(ctx["ben"]).visit.date = today() + timedelta(days=days)
    db.session.commit()
    error = refused("not_visit_day", services.sign_in, ctx["ben"], ctx["users"]["organiser"])
    assert words in error.message


def test_an_unknown_entry_is_not_found(ctx):
    refused("not_found", services.sign_in, 9999, ctx["users"]["organiser"])
    refused("not_found", services.sign_out, 9999, ctx["users"]["organiser"])


def test_a_volunteer_signs_only_themselves_in_and_out(ctx):
    volunteer = ctx["users"]["volunteer"]
    refused("not_allowed", services.sign_in, ctx["ben"], volunteer)
    refused("not_allowed", services.sign_in, ctx["ben"], ctx["users"]["auditor"])
    services.sign_in(ctx["ada"], volunteer)
    services.sign_out(ctx["ada"], volunteer)
    assert [row[:2] for row in audit_actions()] == [("checkin.signed_in", volunteer),
                                                    ("checkin.signed_out", volunteer)]


def test_an_organiser_undoes_the_last_tap_one_step_at_a_time(ctx):
    organiser = ctx["users"]["organiser"]
    services.sign_in(ctx["ben"], organiser)
    services.sign_out(ctx["ben"], organiser)
    assert services.undo(ctx["ben"], organiser) == "sign_out"
    assert entry(ctx["ben"]).signed_out_at is None and entry(ctx["ben"]).signed_in_at
    assert services.undo(ctx["ben"], organiser) == "sign_in"
    assert entry(ctx["ben"]).signed_in_at is None
    refused("nothing_to_undo", services.undo, ctx["ben"], organiser)
    assert audit_actions()[-2:] == [
        ("checkin.undone", organiser, "roster_entry", str(ctx["ben"]), "undid=sign_out"),
        ("checkin.undone", organiser, "roster_entry", str(ctx["ben"]), "undid=sign_in")]


def test_a_volunteer_cannot_undo_even_their_own_tap(ctx):
    services.sign_in(ctx["ada"], ctx["users"]["volunteer"])
    refused("not_allowed", services.undo, ctx["ada"], ctx["users"]["volunteer"])
    assert entry(ctx["ada"]).signed_in_at is not None


# --- who may ---------------------------------------------------------------------------------

def user(user_id: int) -> User:
    return db.session.get(User, user_id)


@pytest.mark.parametrize("who, sees", [("organiser", True), ("admin", True), ("auditor", True),
                                       ("volunteer", True), ("stranger", False)])
def test_may_view_the_check_in_list(ctx, who, sees):
    assert may_view(user(ctx["users"][who]), ctx["visit"]) is sees


def test_a_volunteer_sees_only_visits_they_are_rostered_on(ctx):
    assert may_view(user(ctx["users"]["volunteer"]), ctx["other"]) is False


def test_a_volunteer_login_without_a_volunteer_record_sees_nothing(ctx, make_user):
    lonely = make_user("volunteer", email="lonely@test.example")
    assert may_view(user(lonely), ctx["visit"]) is False


@pytest.mark.parametrize("who, ada, ben", [("organiser", True, True), ("admin", True, True),
                                           ("volunteer", True, False), ("stranger", False, False),
                                           ("auditor", False, False)])
def test_may_sign(ctx, who, ada, ben):
    actor = user(ctx["users"][who])
    assert services.may_sign(actor, entry(ctx["ada"])) is ada
    assert services.may_sign(actor, entry(ctx["ben"])) is ben


# --- hours -----------------------------------------------------------------------------------

def set_times(entry_id: int, signed_in: datetime | None, signed_out: datetime | None) -> None:
    """Put times on an entry directly, as if tapped then."""
    begin_write()
    item = entry(entry_id)
    item.signed_in_at, item.signed_out_at = signed_in, signed_out
    db.session.commit()


@pytest.mark.parametrize("minutes, expected",
                         [(150, 2.5), (1, 0.02), (0, 0.0), (7 * 60 + 20, 7.33)])
def test_hours_between_signing_in_and_out(ctx, minutes, expected):
    set_times(ctx["ben"], SUMMER_IN, SUMMER_IN + timedelta(minutes=minutes))
    assert services.hours(entry(ctx["ben"])) == expected


def test_no_hours_until_signed_in_and_out(ctx):
    assert services.hours(entry(ctx["ben"])) is None
    set_times(ctx["ben"], SUMMER_IN, None)
    assert services.hours(entry(ctx["ben"])) is None


def test_hours_count_real_time_across_the_clocks_going_forward(ctx):
    # 28 March 2027: clocks go forward at 01:00 GMT. 00:30 GMT to 04:30 BST is three hours.
    set_times(ctx["ben"], datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
              datetime(2027, 3, 28, 3, 30, tzinfo=UTC))
    row = services.visit_hours(ctx["visit"]).rows[1]
    assert row.hours == 3.0
    assert (f"{row.signed_in_at:%H:%M}", f"{row.signed_out_at:%H:%M}") == ("00:30", "04:30")


def test_visit_hours_are_plain_rows_by_name_with_a_total(ctx):
    set_times(ctx["ada"], SUMMER_IN, SUMMER_IN + timedelta(hours=2, minutes=15))
    set_times(ctx["ben"], SUMMER_IN, SUMMER_IN + timedelta(hours=1))
    set_times(ctx["ben_other"], SUMMER_IN, SUMMER_IN + timedelta(hours=5))
    result = services.visit_hours(ctx["visit"])
    assert [(row.name, row.organisation, row.role_on_day, row.hours, row.state)
            for row in result.rows] == [
        ("Ada Fictional", "North Thames NHS Trust", "IPS", 2.25, "signed_out"),
        ("Ben Fictional", "Fictional Probation", "Probation", 1.0, "signed_out"),
        ("Cy Fictional", "North Thames NHS Trust", "Peer mentor", None, "not_arrived")]
    assert result.total == 3.25
    assert f"{result.rows[0].signed_in_at:%H:%M}" == "09:30"
    assert result.rows[0].state_text == "Signed out at 11:45"


def test_visit_hours_for_one_volunteer(ctx):
    ada = entry(ctx["ada"]).volunteer_id
    assert [row.name for row in services.visit_hours(ctx["visit"], ada).rows] == ["Ada Fictional"]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_hours_csv_has_a_row_per_volunteer_and_a_total(ctx):
    set_times(ctx["ada"], SUMMER_IN, SUMMER_IN + timedelta(hours=2, minutes=15))
    set_times(ctx["ben"], SUMMER_IN, None)
    rows = read_csv(services.hours_csv(ctx["visit"], ctx["users"]["organiser"]))
    assert rows == [
        ["Name", "Organisation", "Role on the day", "Signed in", "Signed out", "Hours"],
        ["Ada Fictional", "North Thames NHS Trust", "IPS", "2027-06-14 09:30",
         "2027-06-14 11:45", "2.25"],
        ["Ben Fictional", "Fictional Probation", "Probation", "2027-06-14 09:30", "", ""],
        ["Cy Fictional", "North Thames NHS Trust", "Peer mentor", "", "", ""],
        ["Total", "", "", "", "", "2.25"]]


def test_hours_csv_neutralises_formulas(ctx):
    begin_write()
    db.session.get(RosterEntry, ctx["cy"]).role_on_day = "-2+3"
    ben = db.session.get(RosterEntry, ctx["ben"])
    ben.volunteer.name = "=HYPERLINK(\"http://evil.example\")"
    ben.volunteer.organisation.name = "+44 charity"
    ben.role_on_day = "@SUM(A1)"
    db.session.commit()
    rows = read_csv(services.hours_csv(ctx["visit"], ctx["users"]["admin"]))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in cells
    assert {"'+44 charity", "'@SUM(A1)", "'-2+3"} <= set(cells)
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_an_hours_export_leaves_an_audit_row_with_ids_only(ctx):
    services.hours_csv(ctx["visit"], ctx["users"]["admin"])
    assert audit_actions() == [("checkin.hours_exported", ctx["users"]["admin"], "visit",
                                str(ctx["visit"]), None)]


# --- pages -----------------------------------------------------------------------------------

def page_path(day) -> str:
    return f"/visits/{day['visit']}/check-in"


def tap(client, day, entry_name: str, action: str = "sign-in", token: str | None = None):
    """Press a row's button, with the CSRF token from the check-in page unless given."""
    token = token or csrf_token(client, page_path(day))
    return client.post(f"{page_path(day)}/{day[entry_name]}/{action}",
                       data={"csrf_token": token})


def times(app, entry_id: int):
    with app.app_context():
        item = db.session.get(RosterEntry, entry_id)
        return item.signed_in_at, item.signed_out_at


def log_in_as(client, who: str):
    email = "stranger@test.example" if who == "stranger" else f"{who}@test.example"
    assert log_in(client, email).status_code == 302


def test_the_check_in_page_lists_the_roster_with_big_buttons(client, day):
    log_in_as(client, "organiser")
    page = client.get(page_path(day)).get_data(as_text=True)
    for name in ("Ada Fictional", "Ben Fictional", "Cy Fictional"):
        assert name in page
    assert page.count('class="nhsuk-button nhsuk-u-width-full"') == 2  # Cy is not confirmed
    assert "Not confirmed for this visit" in page
    assert page.split('id="maincontent"')[1].count('name="csrf_token"') == 2
    assert f'id="entry-{day["ben"]}"' in page


def test_signing_in_and_out_through_the_page(app, client, day):
    log_in_as(client, "organiser")
    response = tap(client, day, "ben")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{page_path(day)}#entry-{day['ben']}"
    signed_in, _ = times(app, day["ben"])
    page = client.get(page_path(day)).get_data(as_text=True)
    clock = f"{local(signed_in):%H:%M}"
    assert f"Ben Fictional signed in at {clock}." in page
    assert f"Signed in at {clock}" in page and "Sign out" in page
    assert tap(client, day, "ben", "sign-out").status_code == 302
    page = client.get(page_path(day)).get_data(as_text=True)
    assert "Ben Fictional signed out at" in page and "0.00 hours" in page


def test_times_show_in_london_time(app, client, day):
    with app.app_context():
        set_times(day["ben"], SUMMER_IN, SUMMER_IN + timedelta(hours=6))
    log_in_as(client, "organiser")
    page = client.get(page_path(day)).get_data(as_text=True)
    assert "Signed out at 15:30" in page and "6.00 hours" in page


def test_a_double_tap_on_sign_in_says_so_and_changes_nothing(app, client, day):
    log_in_as(client, "organiser")
    token = csrf_token(client, page_path(day))
    assert tap(client, day, "ben", token=token).status_code == 302
    first = times(app, day["ben"])
    client.get(page_path(day))  # the first flash is shown and gone
    response = tap(client, day, "ben", token=token)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ben Fictional is already signed in, since" in page and 'role="alert"' in page
    assert times(app, day["ben"]) == first


def test_a_refused_sign_in_shows_the_reason(app, client, day):
    log_in_as(client, "organiser")
    response = tap(client, day, "cy")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cy Fictional is not confirmed for this visit" in page
    assert times(app, day["cy"]) == (None, None)


def test_a_post_without_a_csrf_token_is_refused(app, client, day):
    log_in_as(client, "organiser")
    response = client.post(f"{page_path(day)}/{day['ben']}/sign-in")
    assert response.status_code == 400
    assert times(app, day["ben"]) == (None, None)


def test_unknown_visits_and_entries_of_another_visit_are_not_found(app, client, day):
    log_in_as(client, "organiser")
    token = csrf_token(client, page_path(day))
    assert client.get("/visits/9999/check-in").status_code == 404
    assert client.get("/visits/9999/hours.csv").status_code == 404
    other_entry = f"{page_path(day)}/{day['ben_other']}/sign-in"
    assert client.post(other_entry, data={"csrf_token": token}).status_code == 404
    assert client.post(f"{page_path(day)}/9999/sign-out",
                       data={"csrf_token": token}).status_code == 404
    assert times(app, day["ben_other"]) == (None, None)


def test_the_page_says_when_signing_in_is_closed(app, client, day):
    with app.app_context():
        begin_write()
        entry(day["ben"]).visit.status = "cancelled"
        db.session.commit()
    log_in_as(client, "organiser")
    page = client.get(page_path(day)).get_data(as_text=True)
    assert "This visit is cancelled, so nobody can sign in" in page
    assert "nhsuk-u-width-full" not in page


def test_an_organiser_undoes_a_mistaken_tap(app, client, day):
    log_in_as(client, "organiser")
    tap(client, day, "ben")
    assert "Undo sign in" in client.get(page_path(day)).get_data(as_text=True)
    response = tap(client, day, "ben", "undo")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Undone. Ben Fictional: Not arrived." in page
    assert times(app, day["ben"]) == (None, None)


def test_the_hours_download(app, client, day):
    with app.app_context():
        set_times(day["ben"], SUMMER_IN, SUMMER_IN + timedelta(hours=1, minutes=30))
    log_in_as(client, "organiser")
    response = client.get(f"/visits/{day['visit']}/hours.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=volunteer-hours-visit-{day['visit']}.csv")
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response.get_data().decode("utf-8-sig"))
    assert rows[2][0] == "Ben Fictional" and rows[-1] == ["Total", "", "", "", "", "1.50"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "checkin.hours_exported")) == 1


# --- who may, with real objects --------------------------------------------------------------

def any_token(client) -> str:
    """A CSRF token from a form every signed-in user can open."""
    return csrf_token(client, "/account/password")


def test_anonymous_people_are_sent_to_log_in(app, client, day):
    token = csrf_token(client, "/login")
    hours_path = f"/visits/{day['visit']}/hours.csv"
    for response in (client.get(page_path(day)), client.get(hours_path),
                     tap(client, day, "ben", token=token)):
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert times(app, day["ben"]) == (None, None)


def test_a_volunteer_not_on_the_roster_is_refused(app, client, day):
    log_in_as(client, "stranger")
    token = any_token(client)
    assert client.get(page_path(day)).status_code == 403
    assert client.get(f"/visits/{day['visit']}/hours.csv").status_code == 403
    for name in ("ada", "ben"):
        assert tap(client, day, name, token=token).status_code == 403
        assert times(app, day[name]) == (None, None)


def test_a_volunteer_on_the_roster_sees_and_signs_only_themselves(app, client, day):
    log_in_as(client, "volunteer")
    page = client.get(page_path(day)).get_data(as_text=True)
    assert "Ada Fictional" in page and "Ben Fictional" not in page and "Cy Fictional" not in page
    assert "Download volunteer hours" not in page and "Total hours" not in page
    token = any_token(client)
    assert tap(client, day, "ben", token=token).status_code == 403
    assert times(app, day["ben"]) == (None, None)
    assert tap(client, day, "ada", token=token).status_code == 302
    assert tap(client, day, "ada", "undo", token=token).status_code == 403
    assert tap(client, day, "ada", "sign-out", token=token).status_code == 302
    assert all(times(app, day["ada"]))
    assert client.get(f"/visits/{day['visit']}/hours.csv").status_code == 403
    assert client.get(f"/visits/{day['other']}/check-in").status_code == 403


def test_an_auditor_sees_the_list_read_only(app, client, day):
    log_in_as(client, "auditor")
    page = client.get(page_path(day)).get_data(as_text=True)
    assert all(name in page for name in ("Ada Fictional", "Ben Fictional", "Cy Fictional"))
    assert "<form" not in page.split('id="maincontent"')[1]
    token = any_token(client)
    for action in ("sign-in", "sign-out", "undo"):
        assert tap(client, day, "ben", action, token=token).status_code == 403
    assert client.get(f"/visits/{day['visit']}/hours.csv").status_code == 403
    assert times(app, day["ben"]) == (None, None)


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_planners_sign_anyone_undo_and_export(app, client, day, role):
    log_in_as(client, role)
    assert client.get(page_path(day)).status_code == 200
    token = any_token(client)
    for name in ("ada", "ben"):
        assert tap(client, day, name, token=token).status_code == 302
        assert times(app, day[name])[0] is not None
    assert tap(client, day, "ben", "undo", token=token).status_code == 302
    assert client.get(f"/visits/{day['visit']}/hours.csv").status_code == 200
    assert client.get(f"/visits/{day['other']}/check-in").status_code == 200
