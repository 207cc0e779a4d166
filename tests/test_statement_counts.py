"""A page's SQL statement count does not grow with its rows: each page is read at a small and
at a large size and must send the same number of statements, so an N+1 query cannot come back
without a test failing."""

from datetime import timedelta

import pytest

from inreach.accounts.models import User
from inreach.checkin.services import sign_in
from inreach.database import begin_write, counting_statements, db
from inreach.dates import today
from inreach.directory.vocabulary import PATHWAYS
from inreach.referrals import services as referrals
from inreach.referrals.consent import current_wording
from inreach.roster.services import add_to_roster

from . import chase_builders as followed
from . import planning
from . import referral_builders as build
from .pack_builders import DIRECTORY, entry

SIZES = {"few": (5, 2), "many": (50, 12)}  # men, and volunteers on the roster
PAGES = {
    "capture list": "/visits/{visit}/sessions/{session}/referrals/",
    "printing page": "/visits/{visit}/sessions/{session}/printing/",
    "attendance sheet": "/visits/{visit}/attendance/sessions/{session}",
    "cohort page": "/visits/{visit}/cohort/",
    "visit page": "/visits/{visit}",
}


def statements_for(app, client, url: str) -> int:
    """How many SQL statements one GET of the page sends."""
    with app.app_context(), counting_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _men(visit_id: int, session_id: int, count: int, letter: str) -> list:
    """Men placed in the session, and a fifth as many on the cohort without a session yet."""
    placed = [build.man(visit_id, session_id, f"{letter}{number:04d}AB", f"First{number}",
                        f"Last{number}") for number in range(count)]
    for number in range(count // 5):
        build.man(visit_id, None, f"{letter}{number:04d}CD", f"Wait{number}", "Man")
    return placed


def _progress(visit_id: int, session_id: int, men: list, organiser: User, services: dict):
    """Every fifth man referred, every fifth declining everything, the rest attended, absent or
    not marked yet; each man's own release area Camden or Hackney (so every size prints the
    same two areas' directories)."""
    version = current_wording().version
    chosen = [services["Camden work coach"], services["Camden housing desk"]]
    for number, member in enumerate(men):
        kind = number % 5
        begin_write()
        member.person.release_area = ("Camden", "Hackney")[number % 2]
        member.attendance = {1: "attended", 2: "attended", 3: "absent"}.get(kind)
        member.dna_reason = "unwell" if kind == 3 else None
        db.session.commit()
        if kind < 2:
            referred = chosen if kind == 0 else []
            referrals.save(visit_id, session_id, build.capture(
                member.public_id, consent_version=version, chosen=referred,
                consent={service: service == chosen[0] for service in referred}), organiser)


def _roster(visit, session_id: int, count: int, organiser_id: int) -> None:
    """Volunteers from their own organisations, every other one cleared, confirmed and signed
    in; half of them placed in the session."""
    for number in range(count):
        volunteer = planning.volunteer(f"Volunteer {visit.id}-{number}",
                                       f"Organisation {visit.id}-{number}")
        if number % 2 == 0:
            planning.clear(volunteer.id, visit.prison_id)
        roster_entry = add_to_roster(visit.id, volunteer.id, "Employment", False,
                                     [session_id] if number % 4 < 2 else [], organiser_id)
        if roster_entry.confirmed:
            sign_in(roster_entry.id, organiser_id)


@pytest.fixture
def day(app, login_as):
    """A visit of each size today at one prison, by size: the visit's and session's ids."""
    organiser_id = login_as("organiser")
    with app.app_context():
        services = {name: entry(name, areas, pathways, phone, **extra).id
                    for name, areas, pathways, phone, extra in DIRECTORY}
        prison = planning.prison()
        organiser = db.session.get(User, organiser_id)
        ids = {}
        for (size, (men, volunteers)), letter in zip(SIZES.items(), "AB", strict=True):
            visit = planning.visit(prison.id, today(), status="confirmed")
            session = planning.session(visit.id, capacity=200)
            _progress(visit.id, session.id, _men(visit.id, session.id, men, letter), organiser,
                      services)
            _roster(visit, session.id, volunteers, organiser_id)
            ids[size] = {"visit": visit.id, "session": session.id}
        return ids


@pytest.mark.parametrize("page", PAGES)
def test_statements_do_not_grow_with_the_men(app, client, day, page):
    """5 men (2 volunteers) and 50 men (12 volunteers) cost the same statements."""
    few, many = (statements_for(app, client, PAGES[page].format(**day[size])) for size in SIZES)
    assert few == many, f"{page}: {few} statements for 5 men, {many} for 50"


def _referable(first: int, count: int) -> list[int]:
    """Referable directory services under every pathway in turn."""
    codes = list(PATHWAYS)
    return [entry(f"Service {number}", ["Camden"], [codes[number % len(codes)]],
                  referable=True).id for number in range(first, first + count)]


def _saved_set(visit_id: int, session_id: int, number: str, chosen: list[int],
               organiser: User) -> str:
    """A man with a saved set choosing these services, sharing with every other one; his
    public id."""
    member = build.man(visit_id, session_id, number)
    referrals.save(visit_id, session_id, build.capture(
        member.public_id, consent_version=current_wording().version, chosen=chosen,
        consent={service: index % 2 == 0 for index, service in enumerate(chosen)}), organiser)
    return member.public_id


def test_saved_set_form_does_not_grow_with_the_directory(app, client, login_as):
    """A saved set's form costs the same with 3 and with 30 referable services."""
    organiser_id = login_as("organiser")
    with app.app_context():
        organiser = db.session.get(User, organiser_id)
        visit = planning.visit(planning.prison().id, today(), status="confirmed")
        place = {"visit_id": visit.id, "session_id": planning.session(visit.id).id}
        few_services = _referable(0, 3)
        few_man = _saved_set(**place, number="A1000AB", chosen=few_services, organiser=organiser)
    url = "/visits/{visit_id}/sessions/{session_id}/referrals/{member}"
    few = statements_for(app, client, url.format(**place, member=few_man))
    with app.app_context():
        organiser = db.session.get(User, organiser_id)
        many_man = _saved_set(**place, number="A1001AB", chosen=few_services + _referable(3, 27),
                              organiser=organiser)
    many = statements_for(app, client, url.format(**place, member=many_man))
    assert few == many, f"{few} statements with 3 referable services, {many} with 30"


# --- the follow-up board and the chase list (issue 14) -------------------------------------

FOLLOW_UP_STATES = ("made", "sent", "accepted", "declined", "no_contact", "first_contact",
                    "closed", "not_shared")


def _followed_men(visit, count: int, letter: str, services: list[int], organiser_id: int):
    """Men seen at the visit, each with a referral to each service, in turn through every state
    (sent long enough ago to be overdue, released long enough ago to need a first contact), and
    an IPS job start due its checks for every fourth man."""
    visit_day = today() - timedelta(days=200)
    sent = {"sent_on": visit_day + timedelta(days=1), "sent_how": "email"}
    for number in range(count):
        set_id = followed.man(visit, f"{letter}{number:04d}EF", organiser_id,
                              release_date=visit_day + timedelta(days=10))
        for offset, service_id in enumerate(services):
            status = FOLLOW_UP_STATES[(number + offset) % len(FOLLOW_UP_STATES)]
            facts = {} if status in ("made", "not_shared") else dict(sent)
            if status not in ("made", "not_shared", "sent"):
                facts["answered_on"] = visit_day + timedelta(days=5)
            referral = followed.referral(set_id, service_id, status, **facts)
            if number % 4 == 0 and offset == 0 and status != "not_shared":
                followed.job_start(referral, visit_day + timedelta(days=20), organiser_id)


def test_follow_up_board_does_not_grow_with_the_men(app, client, login_as):
    """A visit's follow-up board costs the same for 5 men as for 50."""
    organiser_id = login_as("organiser")
    with app.app_context():
        prison_id = planning.prison().id
        services = [followed.service("IPS work", ips=True),
                    followed.service("Housing desk", email=False)]
        visits = {}
        for size, count, letter in (("few", 5, "E"), ("many", 50, "F")):
            visit = followed.visit(today() - timedelta(days=200), prison_id)
            _followed_men(visit, count, letter, services, organiser_id)
            visits[size] = visit[0]
    few, many = (statements_for(app, client, f"/follow-up/visits/{visits[size]}")
                 for size in ("few", "many"))
    assert few == many, f"follow-up board: {few} statements for 5 men, {many} for 50"


def test_chase_list_does_not_grow_with_the_referrals(app, client, login_as):
    """The chase list, its page for one visit and the home page showing its top items cost the
    same with 5 referrals to chase as with 50."""
    organiser_id = login_as("organiser")
    with app.app_context():
        prison_id = planning.prison().id
        services = [followed.service("IPS work", ips=True),
                    followed.service("Talking Therapies")]
        visit = followed.visit(today() - timedelta(days=200), prison_id)
        _followed_men(visit, 5, "G", services, organiser_id)
    pages = ["/follow-up/chase", f"/follow-up/chase?visit={visit[0]}", "/",
             f"/visits/{visit[0]}"]
    few = [statements_for(app, client, page) for page in pages]
    with app.app_context():
        for number in range(3):
            other = followed.visit(today() - timedelta(days=200 - number), prison_id)
            _followed_men(other, 15, "HJK"[number], services, organiser_id)
        _followed_men(visit, 5, "L", services, organiser_id)
    many = [statements_for(app, client, page) for page in pages]
    assert few == many, f"{pages}: {few} statements with 5 men's referrals, {many} with 50"
