"""How referrals reach a service: the rules called directly, the service form refusing each kind
of bad input on its field with nothing saved, the "no referral route" warning on the page and
the list (with its count and filter), and routes in the directory's import and export."""

import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inreach.database import begin_write, counting_statements, db
from inreach.directory import flat_csv, oruk, services
from inreach.directory.models import DirectoryOrganisation, Service, ServiceArea, ServicePathway

from .conftest import csrf_token
from .test_directory import add_service, details, form_data
from .test_directory_exchange import CSV_HEADER, as_json, csv_row, load, refusal, service_item

REFERABLE = {"referable": True, "next_steps": "We will call you within two weeks."}
EMAIL = {"referral_route": "email", "referral_email": "referrals@nhs-demo.example.org"}


def words(html: str) -> str:
    """The text of some HTML, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("route", [
    {**EMAIL, "answer_days": 5, "ips": True},
    {"referral_route": "phone", "referral_instructions": "Call 020 7946 0731 on weekdays."},
    {"referral_route": "portal", "referral_instructions": "https://example.org/refer",
     "answer_days": 60},
    {"referral_route": "post", "referral_instructions": "Post it to the team.", "answer_days": 1},
    {"referral_route": "", "referral_email": "", "referral_instructions": ""},
])
def test_each_route_is_saved_as_given(app_context, route):
    service = add_service(**REFERABLE, **route)
    db.session.expire_all()
    for name, value in route.items():
        assert getattr(service, name) == value, name
    assert service.answer_days == route.get("answer_days", 10)
    assert service.ips is route.get("ips", False)


BAD = [
    ({"referral_route": "fax"}, "unknown_route", "referral_route"),
    ({"referral_route": "email"}, "route_email_missing", "referral_email"),
    ({"referral_route": "email", "referral_email": "javascript:alert(1)"}, "bad_email",
     "referral_email"),
    ({"referral_email": "two@at@example.org"}, "bad_email", "referral_email"),
    ({"referral_route": "phone"}, "instructions_missing", "referral_instructions"),
    ({"referral_route": "portal", "referral_instructions": "  "}, "instructions_missing",
     "referral_instructions"),
    ({"referral_route": "portal", "referral_instructions": "javascript:alert(1)"},
     "unsafe_link", "referral_instructions"),
    ({"referral_route": "portal", "referral_instructions": "See data:text/html;base64,PHA+"},
     "unsafe_link", "referral_instructions"),
    ({"referral_route": "portal", "referral_instructions": "<a href=x>Refer</a>"}, "markup",
     "referral_instructions"),
    ({"referral_route": "post", "referral_instructions": "x" * 2001}, "too_long",
     "referral_instructions"),
    ({"answer_days": 0}, "bad_answer_days", "answer_days"),
    ({"answer_days": 61}, "bad_answer_days", "answer_days"),
    ({"answer_days": -3}, "bad_answer_days", "answer_days"),
    ({"answer_days": None}, "bad_answer_days", "answer_days"),
    ({"answer_days": True}, "bad_answer_days", "answer_days"),
]


@pytest.mark.parametrize(("changes", "code", "field"), BAD)
def test_a_bad_route_is_refused_naming_the_field_and_changes_nothing(app_context, changes, code,
                                                                     field):
    service = add_service(**REFERABLE, **EMAIL)
    with pytest.raises(services.DomainError) as refused:
        services.update_service(service.id, details(service.organisation_id, **REFERABLE,
                                                    **changes), None)
    assert (refused.value.code, refused.value.field) == (code, field)
    db.session.rollback()
    db.session.expire_all()
    assert (service.referral_route, service.referral_email, service.answer_days) == (
        "email", "referrals@nhs-demo.example.org", 10)


@pytest.mark.parametrize(("column", "value"), [("referral_route", "fax"),
                                               ("referral_email", ""), ("answer_days", 0),
                                               ("answer_days", 61)])
def test_the_database_refuses_a_bad_route_written_past_the_rules(app_context, column, value):
    service = add_service(**REFERABLE, **EMAIL)
    begin_write()
    setattr(service, column, value)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("changes", "missing"), [
    ({}, True), (EMAIL, False), ({"status": "inactive"}, False),
    ({"status": "temporarily closed"}, False), ({"referable": False}, False)])
def test_only_an_active_referable_service_without_a_route_is_missing_one(app_context, changes,
                                                                         missing):
    service = add_service(**{**REFERABLE, **changes})
    assert services.missing_route(service) is missing
    assert services.count_missing_route() == int(missing)
    assert [found.name for found in services.find_services(everything=True, no_route=True)] == (
        [service.name] if missing else [])


# The form ------------------------------------------------------------------------------------

@pytest.fixture
def referable(app):
    """An active referable service sent to by secure email, as (oruk_id, organisation id)."""
    with app.app_context():
        service = add_service(**REFERABLE, **EMAIL)
        return service.oruk_id, service.organisation_id


def referable_form(token: str, org_id: int, **changes) -> dict:
    """The form for the referable service as an organiser would submit it."""
    return form_data(token, org_id, referable="y", next_steps=REFERABLE["next_steps"],
                     **{**EMAIL, **changes})


FORM_BAD = [
    ({"referral_route": "fax"}, "referral_route",
     "Choose how referrals reach the service from the list"),
    ({"referral_email": ""}, "referral_email",
     "Enter the secure email address referrals are sent to"),
    ({"referral_email": "not an email"}, "referral_email",
     "Enter an email address like name@example.org"),
    ({"referral_email": "javascript:alert(1)"}, "referral_email",
     "Enter an email address like name@example.org"),
    ({"referral_route": "phone"}, "referral_instructions",
     "Say how to refer by phone: what to do and what to have ready"),
    ({"referral_route": "portal", "referral_instructions": "Go to <b>the portal</b>"},
     "referral_instructions", "Referral instructions must be plain text"),
    ({"referral_route": "portal", "referral_instructions": "javascript:alert(1)"},
     "referral_instructions", "Referral instructions must not hold javascript:"),
    ({"referral_route": "post", "referral_instructions": "x" * 2001}, "referral_instructions",
     "How to refer by phone, portal or post must be 2000 characters or fewer"),
    ({"answer_days": "ten"}, "answer_days", "Enter a whole number of working days, for example 10"),
    ({"answer_days": "2.5"}, "answer_days", "Enter a whole number of working days"),
    ({"answer_days": ""}, "answer_days",
     "Enter how many working days the service takes to answer a referral, from 1 to 60"),
    ({"answer_days": "0"}, "answer_days",
     "Working days to answer must be a whole number from 1 to 60"),
    ({"answer_days": "61"}, "answer_days",
     "Working days to answer must be a whole number from 1 to 60"),
    ({"answer_days": "-1"}, "answer_days",
     "Working days to answer must be a whole number from 1 to 60"),
]


@pytest.mark.parametrize(("changes", "field", "message"), FORM_BAD)
def test_bad_route_input_is_shown_on_its_field_and_nothing_is_saved(app, client, login_as,
                                                                    referable, changes, field,
                                                                    message):
    login_as("organiser")
    oruk_id, org_id = referable
    path = f"/directory/services/{oruk_id}/edit"
    response = client.post(path, data=referable_form(
        csrf_token(client, path), org_id, url="https://example.org/changed", **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'href="#{field}"[^>]*>\s*{re.escape(message)}', page), page
    assert re.search(rf'id="{field}-error"', page)
    with app.app_context():
        service = services.service_by_oruk_id(oruk_id)
        assert (service.url, service.referral_route, service.referral_email,
                service.answer_days) == ("https://example.org/housing", "email",
                                         "referrals@nhs-demo.example.org", 10)


def test_an_organiser_sets_a_portal_route_and_the_page_and_form_show_it(app, client, login_as,
                                                                       referable):
    login_as("organiser")
    oruk_id, org_id = referable
    path = f"/directory/services/{oruk_id}/edit"
    response = client.post(path, data=referable_form(
        csrf_token(client, path), org_id, referral_route="portal", referral_email="",
        referral_instructions="Use https://example.org/refer and choose Prison in-reach.",
        answer_days=" 15 ", ips="y"))
    assert response.status_code == 302
    page = client.get(f"/directory/services/{oruk_id}").get_data(as_text=True)
    route = re.search(r'data-testid="referral-route">(.*?)</dl>', page, re.S).group(1)
    text = words(route)
    for shown in ("Route Online portal", "How to refer Use https://example.org/refer and choose "
                  "Prison in-reach.", "Answers within 15 working days",
                  "IPS employment service Yes: job outcomes are followed"):
        assert shown in text, text
    form = client.get(path).get_data(as_text=True)
    assert re.search(r'value="portal" checked', form)
    assert re.search(r'id="answer_days" name="answer_days" type="text" value="15"', form)
    assert re.search(r'name="ips" type="checkbox" value="y" checked', form)
    with app.app_context():
        service = services.service_by_oruk_id(oruk_id)
        assert (service.referral_route, service.answer_days, service.ips) == ("portal", 15, True)


def test_a_new_service_form_starts_at_not_known_yet_and_ten_days(client, login_as):
    login_as("organiser")
    form = client.get("/directory/services/new").get_data(as_text=True)
    assert re.search(r'value="" checked', form)
    assert re.search(r'id="answer_days" name="answer_days" type="text" value="10"', form)


# The warning ---------------------------------------------------------------------------------

@pytest.fixture
def unrouted(app):
    """A referable service with no route and one sent to by email, as their oruk ids."""
    with app.app_context():
        return (add_service(name="Peer mentors (demo)", **REFERABLE).oruk_id,
                add_service(name="Housing advice (demo)", **REFERABLE, **EMAIL).oruk_id)


def test_a_referable_service_without_a_route_is_warned_about_until_it_has_one(
        app, client, login_as, unrouted):
    login_as("organiser")
    bare, routed = unrouted
    page = client.get(f"/directory/services/{bare}").get_data(as_text=True)
    assert 'data-testid="no-route-warning"' in page and 'data-testid="no-route"' in page
    assert "Route Not known yet" in words(page)
    assert 'data-testid="no-route' not in client.get(
        f"/directory/services/{routed}").get_data(as_text=True)
    listing = client.get("/directory/").get_data(as_text=True)
    cards = re.findall(r'data-testid="service-card">(.*?)</div>\s*</div>', listing, re.S)
    flagged = {re.search(r'">([^<]+)</a></h3>', card).group(1): 'data-testid="no-route"' in card
               for card in cards}
    assert flagged == {"Peer mentors (demo)": True, "Housing advice (demo)": False}
    count = re.search(r'data-testid="no-route-count"><a [^>]*href="([^"]+)">([^<]+)</a>', listing)
    assert count.groups() == ("/directory/?no_route=y",
                              "1 service taking self-referrals has no referral route")
    filtered = client.get(count.group(1)).get_data(as_text=True)
    assert re.findall(r'nhsuk-card__heading[^>]*><a [^>]*>([^<]+)</a>', filtered) == [
        "Peer mentors (demo)"]
    with app.app_context():
        service = services.service_by_oruk_id(bare)
        services.update_service(service.id, details(service.organisation_id, **REFERABLE,
                                                     name=service.name, **EMAIL), None)
    assert 'data-testid="no-route' not in client.get(
        f"/directory/services/{bare}").get_data(as_text=True)
    assert 'data-testid="no-route-count"' not in client.get("/directory/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["volunteer", "auditor"])
def test_readers_see_the_tag_but_not_the_count(client, login_as, unrouted, role):
    login_as(role)
    listing = client.get("/directory/").get_data(as_text=True)
    assert 'data-testid="no-route"' in listing and 'data-testid="no-route-count"' not in listing


def add_unrouted(count: int, prefix: str) -> None:
    """``count`` referable services with no route, straight into the database."""
    begin_write()
    organisation = DirectoryOrganisation(name=f"{prefix} trust")
    db.session.add_all(Service(organisation=organisation, name=f"{prefix} {number:03d}",
                               referable=True, next_steps="We call.",
                               pathways=[ServicePathway(pathway="health")],
                               areas=[ServiceArea(name="Ealing")])
                       for number in range(count))
    db.session.commit()


def test_the_warning_list_costs_the_same_statements_at_any_size(app, client, login_as):
    login_as("organiser")
    with app.app_context():
        add_unrouted(5, "Few")
    with app.app_context(), counting_statements() as few:
        assert client.get("/directory/?no_route=y").status_code == 200
    with app.app_context():
        add_unrouted(120, "Many")
    with app.app_context(), counting_statements() as many:
        page = client.get("/directory/?no_route=y").get_data(as_text=True)
    assert page.count('data-testid="no-route"') == 50
    assert "125 services taking self-referrals have no referral route" in page
    assert len(few) == len(many), (len(few), len(many))


# Import and export ---------------------------------------------------------------------------

def test_routes_survive_a_json_round_trip(app_context):
    load(as_json(service_item(1, inreach_referral={
        "accepts_self_referrals": True, "what_happens_next": "We call.",
        "referral_route": "Secure email", "referral_email": "team@nhs-demo.example.org",
        "answer_working_days": 5, "ips_employment": True}), service_item(2, inreach_referral={
            "referral_route": "POST", "referral_instructions": "Post it.\nMark it private."})))
    first = oruk.export_text(services.find_services(everything=True))
    items = json.loads(first)["contents"]
    assert [{key: item["inreach_referral"][key] for key in (
        "referral_route", "referral_email", "referral_instructions", "answer_working_days",
        "ips_employment")} for item in items] == [
        {"referral_route": "email", "referral_email": "team@nhs-demo.example.org",
         "referral_instructions": "", "answer_working_days": 5, "ips_employment": True},
        {"referral_route": "post", "referral_email": "",
         "referral_instructions": "Post it.\nMark it private.", "answer_working_days": 10,
         "ips_employment": False}]
    assert str(load(first.encode())) == "0 added, 2 updated, 0 removed"
    assert oruk.export_text(services.find_services(everything=True)) == first


def test_a_file_without_routes_reads_as_no_route_and_ten_days(app_context):
    load(as_json(service_item(inreach_referral={"accepts_self_referrals": True,
                                                "what_happens_next": "We call."})))
    service = db.session.scalar(select(Service))
    assert (service.referral_route, service.referral_email, service.referral_instructions,
            service.answer_days, service.ips) == ("", "", "", 10, False)
    assert services.missing_route(service)


def test_a_bad_route_refuses_the_whole_file(app_context):
    problems = refusal(as_json(service_item(1, inreach_referral={"referral_route": "email"}),
                               service_item(2, inreach_referral={"answer_working_days": 90})))
    assert problems == [
        'Entry 1 ("Service 1"): Enter the secure email address referrals are sent to',
        'Entry 2 ("Service 2"): Working days to answer must be a whole number from 1 to 60']
    assert db.session.scalar(select(Service.id)) is None


def test_csv_routes_are_read_by_code_or_label(app_context):
    load("\n".join([CSV_HEADER, csv_row(
        name="By email", referral_route="Secure email", referral_email="a@nhs-demo.example.org",
        answer_working_days="15", ips_employment="yes"), csv_row(
        name="By portal", referral_route="online portal", referral_instructions="Use the form."),
    ]).encode(), "directory.csv")
    rows = {row[1]: dict(zip(flat_csv.COLUMNS, row, strict=True))
            for row in map(flat_csv.row, services.find_services())}
    assert [(cells["referral_route"], cells["referral_email"], cells["referral_instructions"],
             cells["answer_working_days"], cells["ips_employment"]) for cells in rows.values()] \
        == [("email", "a@nhs-demo.example.org", "", "15", "yes"),
            ("portal", "", "Use the form.", "10", "no")]


def test_csv_route_problems_name_the_row_and_column(app_context):
    problems = refusal("\n".join([
        CSV_HEADER, csv_row(), csv_row(name="Fax", referral_route="fax"),
        csv_row(name="Ten", answer_working_days="ten"),
        csv_row(name="Minus", answer_working_days="-5"),
        csv_row(name="Zero", answer_working_days="0"),
        csv_row(name="Maybe IPS", ips_employment="maybe"),
        csv_row(name="No address", referral_route="email"),
        csv_row(name="Script", referral_route="portal",
                referral_instructions="javascript:alert(1)"),
        csv_row(name="Bad email", referral_email="=HYPERLINK(\"x\")")]).encode(),
        "directory.csv")
    assert problems == [
        "Row 3 (\"Fax\"): Referral route must be one of: email, phone, portal, post (or blank), "
        "not 'fax'",
        "Row 4 (\"Ten\"): answer_working_days must be a whole number of working days, like 10, "
        "not 'ten'",
        "Row 5 (\"Minus\"): answer_working_days must be a whole number of working days, like 10, "
        "not '-5'",
        "Row 6 (\"Zero\"): Working days to answer must be a whole number from 1 to 60",
        "Row 7 (\"Maybe IPS\"): ips_employment must be yes or no, not 'maybe'",
        "Row 8 (\"No address\"): Enter the secure email address referrals are sent to",
        "Row 9 (\"Script\"): Referral instructions must not hold javascript:, data: or file: "
        "links: give web addresses starting https://",
        "Row 10 (\"Bad email\"): Referral email must be an email address like name@example.org"]


def test_an_older_csv_without_the_route_columns_is_refused_by_name(app_context):
    header = CSV_HEADER.replace(",referral_route,referral_email,referral_instructions,"
                                "answer_working_days,ips_employment", "")
    assert refusal(f"{header}\n".encode(), "directory.csv") == [
        "The first row must name every column of the directory export. Missing: "
        "referral_route, referral_email, referral_instructions, answer_working_days, "
        "ips_employment"]
