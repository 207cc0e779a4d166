"""A man's page: what it shows, who may see it, the audit row each view leaves, and no name or
prison number in any URL on it."""

import re

import pytest
from sqlalchemy import select

from inreach.attendance import services as attendance
from inreach.audit.models import AuditEvent
from inreach.cohorts.models import Person
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.errors import DomainError
from inreach.people.services import person_page

from .test_attendance import as_role, day  # noqa: F401  (the fixture: a visit today)


def viewed_rows(app) -> list[tuple]:
    """Every person.viewed audit row as (actor, object type, object id, detail)."""
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.viewed")
                                  .order_by(AuditEvent.id))
        return [(row.actor_id, row.object_type, row.object_id, row.detail) for row in rows]


def person_id(app, public_id: str) -> int:
    """A person's database id from his opaque id."""
    with app.app_context():
        return db.session.scalar(select(Person.id).where(Person.public_id == public_id))


def test_the_service_reads_his_details_and_history_and_records_the_view(app, day):  # noqa: F811
    organiser = day["users"]["organiser"]
    with app.app_context():
        attendance.mark_absent(day["visit"], day["karl"], "unwell", organiser)
        page = person_page(day["people"]["karl"], organiser)
    assert (page.first_name, page.last_name, page.prison_number, page.location) == (
        "Karl", "Madeup", "B2345CD", "C wing")
    assert page.interests == ["Employment", "Housing"]
    assert [(row.session, row.attendance, row.walk_in) for row in page.history] == [
        ("Cohort 1", "Did not attend: unwell", False), ("Cohort 1", "Attended", False)]
    assert page.history[0].date > page.history[1].date
    assert viewed_rows(app) == [
        (organiser, "person", str(person_id(app, day["people"]["karl"])), None)]


def test_an_unknown_man_is_not_found_and_not_recorded(app, day):  # noqa: F811
    with app.app_context(), pytest.raises(DomainError) as caught:
        person_page("nobody", day["users"]["organiser"])
    assert caught.value.code == "not_found"
    assert viewed_rows(app) == []


PAGE_STATUS = {None: 302, "organiser": 200, "admin": 200, "auditor": 200, "volunteer": 403,
               "stranger": 403}


@pytest.mark.parametrize("role", list(PAGE_STATUS))
def test_only_plan_readers_see_a_mans_page(app, client, day, role):  # noqa: F811
    as_role(client, role)
    response = client.get(f"/people/{day['people']['john']}")
    assert response.status_code == PAGE_STATUS[role]
    assert len(viewed_rows(app)) == (1 if PAGE_STATUS[role] == 200 else 0)


def test_the_page_shows_his_details_and_history(app, client, day):  # noqa: F811
    with app.app_context():
        attendance.add_walk_in(day["visit"], day["afternoon"], "Mo", "Newman", "D4567EF",
                               day["users"]["organiser"], today())
        mo = db.session.scalar(select(Person).where(Person.prison_number == "D4567EF"))
        begin_write()
        mo.easy_read, mo.interpreter_language = True, "Polish"
        db.session.commit()
        public_id = mo.public_id
    as_role(client, "auditor")
    response = client.get(f"/people/{public_id}")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    for text in ("Mo Newman", "D4567EF", "Not known", "Easy read, Interpreter: Polish",
                 "Cohort 2", "Attended", "Walk-in</strong>", "HMP Wormwood Scrubs"):
        assert text in page, text


def test_each_view_leaves_its_own_audit_row(app, client, day):  # noqa: F811
    as_role(client, "admin")
    for _ in range(2):
        assert client.get(f"/people/{day['people']['lee']}").status_code == 200
    lee = str(person_id(app, day["people"]["lee"]))
    assert viewed_rows(app) == [(day["users"]["admin"], "person", lee, None)] * 2
    assert client.get("/people/nobody").status_code == 404
    assert len(viewed_rows(app)) == 2


def test_no_name_or_prison_number_in_any_url_on_his_page(client, day):  # noqa: F811
    as_role(client, "organiser")
    for public_id in day["people"].values():
        page = client.get(f"/people/{public_id}").get_data(as_text=True)
        urls = re.findall(r'(?:href|action|src)="([^"]*)"', page)
        assert any("/visits/" in url for url in urls)
        for secret in ("John", "Fictional", "Karl", "Madeup", "Lee", "Invented", "A1234BC",
                       "B2345CD", "C3456DE"):
            assert not [url for url in urls if secret.lower() in url.lower()], secret


def test_the_session_sheet_links_planners_to_his_page_by_opaque_id(client, day):  # noqa: F811
    as_role(client, "auditor")
    page = client.get(f"/visits/{day['visit']}/attendance/sessions/{day['morning']}")
    assert f'href="/people/{day["people"]["john"]}"' in page.get_data(as_text=True)
