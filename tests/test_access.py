"""Deny by default: every endpoint declares who may use it, and each role gets what it should."""

import pytest

from inreach.accounts.access import PUBLIC

from .conftest import log_in

ROLES = ["admin", "organiser", "volunteer", "auditor"]
ALL = set(ROLES)
PLANNERS = {"organiser", "admin"}
PLAN_READERS = PLANNERS | {"auditor"}

# endpoint -> (a GET path to try, who may use it). "anonymous" means no login needed.
EXPECTED = {
    "static": ("/static/css/inreach.css", {"anonymous"}),
    "site.healthz": ("/healthz", {"anonymous"}),
    "accounts.login": ("/login", {"anonymous"}),
    "site.home": ("/", ALL),
    "accounts.change_password": ("/account/password", ALL),
    "accounts.logout": (None, ALL),
    "accounts.users": ("/users", {"admin"}),
    "accounts.new_user": ("/users/new", {"admin"}),
    "accounts.set_active": (None, {"admin"}),
    # Two-step login: the code and set-up pages need a part-way login (tests/test_two_factor.py).
    "accounts.login_code": (None, {"anonymous"}),
    "accounts.set_up": (None, {"anonymous"}),
    "accounts.two_step_login": ("/account/two-step-login", ALL),
    "accounts.reset_two_factor": (None, {"admin"}),
    "audit.trail": ("/audit/", {"auditor", "admin"}),
    "audit.export": (None, {"auditor", "admin"}),  # a download, itself audited: test_audit.py
    "retention.index": ("/privacy/retention/", {"admin"}),
    "jobs.queue": ("/admin/queue", {"admin"}),
    # Gate list downloads (each role on a real visit: tests/test_gate_list.py).
    "gate_list.pdf": (None, PLANNERS),
    "gate_list.csv": (None, PLANNERS),
    # Visits and the roster (object-level checks: tests/test_visits_pages.py).
    "visits.index": ("/visits/", ALL),
    "visits.new": ("/visits/new", PLANNERS),
    "visits.show": (None, ALL),
    "visits.edit": (None, PLANNERS),
    "visits.change_status": (None, PLANNERS),
    "visits.new_session": (None, PLANNERS),
    "visits.edit_session": (None, PLANNERS),
    "visits.delete_session": (None, PLANNERS),
    "roster.add": (None, PLANNERS),
    "roster.sessions": (None, PLANNERS),
    "roster.confirm": (None, PLANNERS),
    "roster.remove": (None, PLANNERS),
    # Prisons, organisations, volunteers and clearance (object pages: tests/test_prisons.py and
    # tests/test_volunteers.py check each role on a real object).
    "prisons.index": ("/prisons/", PLAN_READERS),
    "prisons.new": ("/prisons/new", PLANNERS),
    "prisons.show": (None, PLAN_READERS),
    "prisons.edit": (None, PLANNERS),
    "prisons.archive": (None, PLANNERS),
    "prisons.delete": (None, PLANNERS),
    # Directory import and export (tests/test_directory_exchange.py).
    "directory_exchange.export_json": ("/directory/export.json", PLAN_READERS),
    "directory_exchange.export_csv": ("/directory/export.csv", PLAN_READERS),
    "directory_exchange.upload": ("/directory/import", PLANNERS),
    # Self-referrals on the day (object-level checks: tests/test_referrals_pages.py).
    "referrals.session": (None, PLANNERS | {"volunteer"}),
    "referrals.form": (None, PLANNERS | {"volunteer"}),
    "referrals.paper": (None, PLANNERS | {"volunteer"}),
    "packs.session": (None, PLANNERS),
    "packs.preview": (None, PLANNERS),
    "packs.pack_pdf": (None, PLANNERS),
    "packs.form_pdf": (None, PLANNERS),
    "packs.blank_form_pdf": (None, PLANNERS),
    "packs.blank_pack_pdf": (None, PLANNERS),
    "packs.start_batch": (None, PLANNERS),
    "packs.batch": (None, PLANNERS),
    "packs.batch_pdf": (None, PLANNERS),
    "outbox.service_worker": ("/sw.js", {"anonymous"}),
    "outbox.token": ("/outbox/token", ALL),
    "consent.index": ("/consent/", ALL),
    "consent.publish": (None, PLANNERS),
    # The service directory: everyone reads, planners change (tests/test_directory.py).
    "directory.index": ("/directory/", ALL),
    "directory.show": (None, ALL),
    "directory.new": ("/directory/services/new", PLANNERS),
    "directory.edit": (None, PLANNERS),
    "directory.mark_checked": (None, PLANNERS),
    "directory.delete": (None, PLANNERS),
    "directory.organisations": ("/directory/organisations/", ALL),
    "directory.new_organisation": ("/directory/organisations/new", PLANNERS),
    "directory.edit_organisation": (None, PLANNERS),
    "volunteers.organisations": ("/organisations/", PLAN_READERS),
    "volunteers.new_organisation": ("/organisations/new", PLANNERS),
    "volunteers.edit_organisation": (None, PLANNERS),
    "volunteers.delete_organisation": (None, PLANNERS),
    "volunteers.index": ("/volunteers/", PLAN_READERS),
    "volunteers.new": ("/volunteers/new", PLANNERS),
    "volunteers.show": (None, PLAN_READERS),
    "volunteers.edit": (None, PLANNERS),
    "volunteers.archive": (None, PLANNERS),
    "volunteers.clearance": (None, PLANNERS),
    # Check-in on the day (object-level checks: tests/test_checkin.py).
    "checkin.show": (None, ALL),
    "checkin.sign_in": (None, PLANNERS | {"volunteer"}),
    "checkin.sign_out": (None, PLANNERS | {"volunteer"}),
    "checkin.undo": (None, PLANNERS),
    "checkin.hours_csv": (None, PLANNERS),
    # The cohort page, allocation and registers (each role on a real visit:
    # tests/test_cohort_pages.py).
    "cohorts.show": (None, PLAN_READERS),
    "cohorts.window": (None, PLANNERS),
    "cohorts.add": (None, PLANNERS),
    "cohorts.move": (None, PLANNERS),
    "cohorts.allocate": (None, PLANNERS),
    "cohorts.register_pdf": (None, PLANNERS),
    "cohorts.register_csv": (None, PLANNERS),
    # Importing the prison's list (each role on a real visit: tests/test_cohort_import.py).
    "cohort_import.template": (None, PLANNERS),
    "cohort_import.demo_list": (None, PLANNERS),
    "cohort_import.upload": (None, PLANNERS),
    "cohort_import.confirm": (None, PLANNERS),
    # Attendance on the day and a man's page (each role on real objects: tests/test_attendance.py
    # and tests/test_people.py).
    "attendance.index": (None, PLAN_READERS | {"volunteer"}),
    "attendance.session": (None, PLAN_READERS | {"volunteer"}),
    "attendance.attended": (None, PLANNERS | {"volunteer"}),
    "attendance.absent": (None, PLANNERS | {"volunteer"}),
    "attendance.clear": (None, PLANNERS | {"volunteer"}),
    "attendance.walk_in": (None, PLANNERS | {"volunteer"}),
    "people.show": (None, PLAN_READERS),
    # A referral's follow-up page, its IPS outcomes and a man's timeline (each role on real
    # objects: tests/test_followup_referral.py, tests/test_outcomes.py, tests/test_timeline.py).
    "referral_followup.referral": (None, PLAN_READERS),
    "referral_followup.milestone": (None, PLANNERS),
    "referral_followup.job_start": (None, PLANNERS),
    "referral_followup.in_work": (None, PLANNERS),
    "referral_followup.timeline": (None, PLAN_READERS),
    # The chase list and a visit's follow-up board (each role on real objects:
    # tests/test_chase.py and tests/test_followup_board.py).
    "followup.chase_list": ("/follow-up/chase", PLAN_READERS),
    "followup.chase_referral": (None, PLANNERS),
    "followup.board": (None, PLAN_READERS),
    "followup.update": (None, PLANNERS),
    # Sending a visit's referrals (tests/test_handoff.py, tests/test_sending.py) and the
    # receiving team's link, answered without an account (tests/test_links.py).
    "handoff.page": (None, PLAN_READERS),
    "handoff.pdf": (None, PLAN_READERS),
    "handoff.csv": (None, PLAN_READERS),
    "handoff.send": (None, PLANNERS),
    "handoff.mark_sent": (None, PLANNERS),
    "referral_link.answer": (None, {"anonymous"}),
    # Reports and their downloads (each role on real figures: tests/test_report_pages.py).
    "reports.index": ("/reports/", PLAN_READERS),
    "reports.visit": (None, PLAN_READERS),
    "reports.pdf": (None, PLAN_READERS),
    "reports.csv": (None, PLAN_READERS),  # a download leaves an audit row
    "reports.visit_pdf": (None, PLAN_READERS),
    "reports.visit_csv": (None, PLAN_READERS),
    "reports.ips_grow": (None, PLAN_READERS),
    # A man's data rights (each role on a real man: tests/test_data_requests.py).
    "data_requests.search": ("/privacy/people/", {"auditor", "admin"}),
    "data_requests.person": (None, {"auditor", "admin"}),
    "data_requests.download": (None, {"auditor", "admin"}),
    "data_requests.correct": (None, {"admin"}),
    "data_requests.restriction": (None, {"admin"}),
    "data_requests.erase": (None, {"admin"}),
}


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "access", None) is None
    ]
    assert undeclared == []


def test_every_endpoint_is_in_the_access_table(app):
    """A new endpoint must be added to EXPECTED, so the role matrix below covers it."""
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(EXPECTED)


def test_declarations_match_the_table(app):
    for endpoint, (_, allowed) in EXPECTED.items():
        access = app.view_functions[endpoint].access
        assert (access is PUBLIC) == (allowed == {"anonymous"}), endpoint
        if access is not PUBLIC:
            assert set(access) == allowed, endpoint


def test_an_undeclared_endpoint_is_refused(app, client, login_as):
    @app.route("/forgotten")
    def forgotten():
        return "should never be served"

    login_as("admin")
    assert client.get("/forgotten").status_code == 403


GET_CASES = [(endpoint, path, role) for endpoint, (path, _) in EXPECTED.items() if path
             for role in ["anonymous", *ROLES]]


@pytest.mark.parametrize("endpoint,path,role", GET_CASES)
def test_role_matrix(client, make_user, endpoint, path, role):
    allowed = EXPECTED[endpoint][1]
    if role != "anonymous":
        make_user(role)
        assert log_in(client, f"{role}@test.example").status_code == 302
    response = client.get(path)
    response.close()  # static files are streamed
    if endpoint == "accounts.login" and role != "anonymous":
        assert response.status_code == 302 and response.headers["Location"] == "/"
    elif "anonymous" in allowed or role in allowed:
        assert response.status_code == 200, (endpoint, role)
    elif role == "anonymous":
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    else:
        assert response.status_code == 403, (endpoint, role)


@pytest.mark.parametrize("role", ROLES)
def test_only_admin_may_disable_a_user(app, client, make_user, role):
    from .conftest import csrf_token

    target = make_user("volunteer", email="target@test.example")
    make_user(role)
    log_in(client, f"{role}@test.example")
    token = csrf_token(client, "/account/password")
    response = client.post(f"/users/{target}/disable", data={"csrf_token": token})
    assert response.status_code == (302 if role == "admin" else 403)


def table_counts(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from inreach.database import db

    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("role", ROLES)
def test_a_get_never_changes_anything(app, client, make_user, role):
    make_user(role)
    log_in(client, f"{role}@test.example")
    before = table_counts(app)
    for path, _ in EXPECTED.values():
        if path:
            client.get(path).close()
    assert table_counts(app) == before
