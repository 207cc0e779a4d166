"""The command-line tasks: create-user and seed-demo."""

from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.accounts.services import log_in as service_log_in
from inreach.database import db

from .conftest import PASSWORD, log_in


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_create_user_reads_the_password_from_standard_input(app, runner):
    result = runner.invoke(args=["create-user", "New@Example.org", "--role", "organiser"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created organiser new@example.org" in result.output
    with app.app_context():
        user, _ = service_log_in("new@example.org", PASSWORD)
        assert user.role == "organiser"


def test_create_user_refuses_a_weak_password_and_writes_nothing(app, runner):
    result = runner.invoke(args=["create-user", "new@example.org", "--role", "admin"],
                           input="short\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert count_users(app) == 0


def test_create_user_refuses_an_unknown_role(app, runner):
    result = runner.invoke(args=["create-user", "new@example.org", "--role", "root"],
                           input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert count_users(app) == 0


def test_create_user_refuses_a_duplicate(app, runner):
    runner.invoke(args=["create-user", "new@example.org", "--role", "admin"], input=PASSWORD)
    result = runner.invoke(args=["create-user", "NEW@example.org", "--role", "auditor"],
                           input=PASSWORD)
    assert result.exit_code != 0 and "already exists" in result.output
    assert count_users(app) == 1


def test_seed_demo_is_idempotent_and_prints_the_logins(app, runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    for role in ("admin", "organiser", "volunteer", "auditor"):
        assert f"{role}@example.org" in second.output
    assert "change-me-demo-only" in second.output
    assert count_users(app) == 4


def test_seed_demo_uses_the_configured_password(make_app):
    app = make_app(DEMO_PASSWORD="another demo password")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "another demo password" in result.output
    client = app.test_client()
    assert log_in(client, "volunteer@example.org", "another demo password").status_code == 302


def test_seed_demo_refuses_a_database_with_real_accounts(app, runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "real accounts" in result.output
    assert count_users(app) == 1


def test_demo_banner_on_every_page_of_a_demo_database_only(app, runner, client, make_user):
    banner = "all data here is fictional"
    assert banner not in client.get("/login").get_data(as_text=True)
    runner.invoke(args=["seed-demo"])
    assert banner in client.get("/login").get_data(as_text=True)
    assert banner in client.get("/missing").get_data(as_text=True)
    log_in(client, "auditor@example.org", "change-me-demo-only")
    for path in ("/", "/audit/", "/account/password"):
        assert banner in client.get(path).get_data(as_text=True), path


def test_seed_demo_plans_an_upcoming_visit_with_a_mixed_roster(app, runner):
    from inreach.roster.services import roster_rows
    from inreach.visits.models import Visit

    runner.invoke(args=["seed-demo"])
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        visits = list(db.session.scalars(select(Visit).where(Visit.status != "completed")))
        assert len(visits) == 1  # the other demo visit is the past one, being followed up
        visit = visits[0]
        assert visit.prison.code == "WSI" and visit.status == "draft"
        assert [session.label for session in visit.sessions] == ["Cohort 1", "Cohort 2"]
        statuses = {row.name: row.confirmed for row in roster_rows(visit)}
        assert statuses["Val Volunteer (demo)"] and not statuses["Bea Hartley"]


def test_seed_demo_imports_the_fictional_list_and_allocates_it(app, runner):
    from inreach.cohorts.models import CohortMember, KeepApart

    runner.invoke(args=["seed-demo"])
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        members = list(db.session.scalars(  # the upcoming visit's (the past one has its own)
            select(CohortMember).where(CohortMember.visit.has(status="draft"))))
        assert len(members) == 36  # the 4 men due outside the 90-day window are left out
        assert all(member.session_id for member in members)
        sizes = {}
        for member in members:
            sizes[member.session_id] = sizes.get(member.session_id, 0) + 1
        assert sorted(sizes.values()) == [18, 18]
        pairs = list(db.session.scalars(select(KeepApart)))
        assert len(pairs) == 2
        session_of = {member.person_id: member.session_id for member in members}
        assert all(session_of[p.first_id] != session_of[p.second_id] for p in pairs)
