"""A man's timeline: every visit, referral set, referral, status change and IPS outcome of his,
newest first, each dated with who and how; read by organisers, admins and auditors, each view
audited; the same few statements whatever his history."""

import re

import pytest
from sqlalchemy import select

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, counting_statements, db
from inreach.followup import outcomes
from inreach.followup.rules import Change
from inreach.followup.services import By, change_status

from . import followup_world as fw
from . import planning
from .conftest import log_in


def history(ctx: dict, man: str = "john", jobs: int = 2) -> None:
    """Give the man a full history: housing sent, accepted by link, first contact; IPS sent,
    profile, employer contact and ``jobs`` job starts (the first under 4 hours); and a newer
    visit he was on."""
    refs = fw.refer(ctx, man, {ctx["housing"]: True, ctx["ips"]: True})
    housing, ips = refs[ctx["housing"]], refs[ctx["ips"]]
    fw.move(ctx, [housing, ips], "sent", fw.ago(190), sent_how="post")
    change_status([housing], Change("accepted", fw.ago(180)), By(None, "link"))
    fw.move(ctx, [housing], "first_contact", fw.ago(150))
    me = ctx["users"]["organiser"]
    outcomes.record_milestone(ips, "profile_started_on", fw.ago(170), me)
    outcomes.record_milestone(ips, "employer_contact_on", fw.ago(160), me)
    for number in range(jobs):
        outcomes.add_job_start(ips, fw.ago(100 - number), 3.5 if number == 0 else 16, me)
    later = planning.visit(1, fw.ago(20), status="completed")
    begin_write()
    person = db.session.scalar(select(Person.id).join(CohortMember).where(
        CohortMember.public_id == ctx[man]))
    db.session.add(CohortMember(visit_id=later.id, person_id=person, attendance="attended"))
    db.session.commit()


@pytest.fixture
def ctx(app, make_user):
    """A visit 200 days ago with John's full history; Karl has only his visit."""
    with app.app_context():
        ctx = fw.world(make_user, days_ago=200)
        history(ctx)
    return ctx


def page(client, ctx, man: str = "john"):
    """GET his timeline."""
    return client.get(f"/people/{ctx[man + '_person']}/timeline")


def entries(html: str) -> list[tuple[str, str]]:
    """The timeline's rows as (kind, text without tags)."""
    rows = re.findall(r'data-testid="timeline-entry" data-kind="(\w+)">(.*?)</tr>', html, re.S)
    return [(kind, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for kind, body in rows]


def test_everything_of_his_in_one_list_newest_first(client, ctx):
    assert log_in(client, "organiser@test.example").status_code == 302
    rows = entries(page(client, ctx).get_data(as_text=True))
    assert [kind for kind, _ in rows] == [
        "visit", "job", "job", "status", "milestone", "milestone", "status", "status", "status",
        "referral", "referral", "set", "visit"]
    assert rows[0][1].startswith(f"{fw.ago(20):%-d %b %Y}") and "Attended" in rows[0][1]
    assert "16 paid hours a week" in rows[1][1] and "Counts as a job start" in rows[1][1]
    assert "3.5 paid hours a week" in rows[2][1] and "Under 4 hours: not counted" in rows[2][1]
    assert "Housing advice: first contact" in rows[3][1] and "Test organiser" in rows[3][1]
    assert "First employer contact" in rows[4][1] and "Vocational profile started" in rows[5][1]
    assert "Housing advice: accepted" in rows[6][1]
    assert "Receiving service, by link" in rows[6][1]
    assert {"Housing advice: sent", "IPS employment: sent"} == {
        text.split(" Test")[0].split(" ", 3)[3] for _, text in rows[7:9]}
    assert all("Post" in text for _, text in rows[7:9])
    assert "Referral to" in rows[9][1] and "He agreed to share his details" in rows[9][1]
    assert "Referrals recorded with him" in rows[11][1] and "Paper form" in rows[11][1]
    assert rows[12][1].startswith(f"{fw.ago(200):%-d %b %Y}")


def test_a_man_with_only_a_visit_has_one_entry(client, ctx):
    log_in(client, "admin@test.example")
    assert [kind for kind, _ in entries(page(client, ctx, "karl").get_data(as_text=True))] == [
        "visit"]


def test_his_page_links_to_it(client, ctx):
    log_in(client, "organiser@test.example")
    html = client.get(f"/people/{ctx['john_person']}").get_data(as_text=True)
    assert f'href="/people/{ctx["john_person"]}/timeline"' in html


@pytest.mark.parametrize(("role", "status"), [("organiser", 200), ("admin", 200),
                                              ("auditor", 200), ("volunteer", 403)])
def test_organisers_admins_and_auditors_read_it(client, ctx, role, status):
    log_in(client, f"{role}@test.example")
    assert page(client, ctx).status_code == status


def test_an_unknown_man_is_not_found(client, ctx):
    log_in(client, "auditor@test.example")
    assert client.get("/people/nobody/timeline").status_code == 404


def test_each_view_is_audited_by_ids_only(app, client, ctx):
    log_in(client, "auditor@test.example")
    page(client, ctx)
    page(client, ctx)
    with app.app_context():
        person = db.session.scalar(select(Person.id).where(
            Person.public_id == ctx["john_person"]))
        rows = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.timeline_viewed")).all()
        assert [(row.actor_id, row.object_type, row.object_id, row.detail) for row in rows] == [
            (ctx["users"]["auditor"], "person", str(person), None)] * 2


def statements(app, client, url: str) -> int:
    """How many SQL statements one GET sends."""
    with app.app_context(), counting_statements() as sent:
        response = client.get(url)
    assert response.status_code == 200
    return len(sent)


def test_the_same_statements_for_two_entries_or_twenty(app, client, ctx):
    with app.app_context():
        history(ctx, "karl", jobs=8)  # Karl: 2 entries more than John's 13, with 8 jobs: 20
    log_in(client, "organiser@test.example")
    assert len(entries(page(client, ctx, "lee").get_data(as_text=True))) == 1
    assert len(entries(page(client, ctx, "karl").get_data(as_text=True))) == 19
    few = statements(app, client, f"/people/{ctx['lee_person']}/timeline")
    many = statements(app, client, f"/people/{ctx['karl_person']}/timeline")
    assert few == many


def test_the_referral_page_sends_the_same_statements_for_a_short_or_long_history(app, client,
                                                                                ctx):
    with app.app_context():
        short_id = fw.refer(ctx, "lee", {ctx["ips"]: True})[ctx["ips"]]
        long_id = db.session.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "referral.profile_started"))
        for answer in ("declined", "accepted", "no_contact", "accepted", "declined"):
            fw.move(ctx, [int(long_id)], answer, fw.ago(10),
                    reason="no_capacity" if answer == "declined" else "")
    log_in(client, "organiser@test.example")
    short = statements(app, client, f"/follow-up/referrals/{short_id}")
    long = statements(app, client, f"/follow-up/referrals/{long_id}")
    assert short == long
