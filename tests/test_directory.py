"""The service directory: its rules called directly (staleness, checking, bad input, finding),
then the pages through HTTP with each role."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.directory import services
from inreach.directory.models import Phone, Service, ServiceArea, ServicePathway
from inreach.directory.services import OrganisationDetails, ServiceDetails

from .conftest import csrf_token


def organisation(name: str = "Fictional Housing Trust") -> int:
    """An organisation in the directory; returns its id."""
    return services.create_organisation(OrganisationDetails(name=name), None).id


def details(organisation_id: int | None = None, **changes) -> ServiceDetails:
    """A complete, valid service as an organiser would type it, with some changed."""
    values = {"name": "Housing advice (demo)", "organisation_id": organisation_id,
              "description": "Help to find somewhere to live after release.",
              "url": "https://example.org/housing", "email": "housing@example.org",
              "pathways": ["accommodation"], "areas": ["Ealing"],
              "phones": [("020 7946 0001", "Weekdays 9am to 5pm")],
              "eligibility": "Men released to Ealing", "fees": "Free"}
    return ServiceDetails(**{**values, **changes})


def add_service(**changes) -> Service:
    """A service in the database (inside an app context), under a new organisation."""
    org_id = changes.pop("organisation_id", None) or organisation(f"Org {changes.get('name')}")
    return services.create_service(details(org_id, **changes), None)


def counts() -> tuple[int, ...]:
    """Rows in every directory table, to prove a refusal wrote nothing."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Service, ServicePathway, ServiceArea, Phone))


# --- staleness --------------------------------------------------------------------------------

def test_an_entry_never_checked_needs_checking(app_context):
    assert services.needs_checking(add_service())


@pytest.mark.parametrize(("days_ago", "stale"), [(0, False), (180, False), (181, True)])
def test_an_entry_needs_checking_after_180_days(app_context, days_ago, stale):
    service = add_service()
    service.assured_date = today() - timedelta(days=days_ago)
    assert services.needs_checking(service) is stale


def test_the_checking_period_is_configurable(make_app):
    app = make_app(DIRECTORY_CHECK_DAYS=30)
    with app.app_context():
        service = add_service()
        service.assured_date = today() - timedelta(days=31)
        assert services.needs_checking(service)
        assert services.stale([service]) == [service]


def test_marking_checked_records_who_and_when_and_is_audited(app_context):
    service = add_service()
    services.mark_checked(service.id, "olu@example.org", None)
    assert service.assured_date == today()
    assert service.assurer_email == "olu@example.org"
    assert not services.needs_checking(service)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "directory.service.checked" in actions


# --- bad input --------------------------------------------------------------------------------

BAD = [
    ({"url": "javascript:alert(1)"}, "bad_url", "url"),
    ({"url": "file:///etc/passwd"}, "bad_url", "url"),
    ({"url": "example.org"}, "bad_url", "url"),
    ({"email": "not an email"}, "bad_email", "email"),
    ({"description": "<b>Free</b> help"}, "markup", "description"),
    ({"name": "Housing <script>alert(1)</script>"}, "markup", "name"),
    ({"eligibility": "x" * 2001}, "too_long", "eligibility"),
    ({"phones": [("020 7946 0001", ""), ("call us", "")]}, "bad_phone", "phones-1-number"),
    ({"phones": [("12", "")]}, "bad_phone", "phones-0-number"),
    ({"phones": [("020 +7946 0001", "")]}, "bad_phone", "phones-0-number"),
    ({"phones": [("0800 123 4567", "<i>free</i>")]}, "markup", "phones-0-description"),
    ({"pathways": ["housing"]}, "unknown_pathway", "pathways"),
    ({"pathways": []}, "no_pathway", "pathways"),
    ({"areas": []}, "no_area", "areas"),
    ({"status": "closed"}, "bad_status", "status"),
    ({"name": "  "}, "name_missing", "name"),
    ({"referable": True, "next_steps": ""}, "next_steps_missing", "next_steps"),
    ({"referral_details": ["shoe_size"]}, "unknown_detail", "referral_details"),
    ({"organisation_id": 999}, "no_organisation", "organisation_id"),
]


@pytest.mark.parametrize(("changes", "code", "field"), BAD)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(app_context, changes, code,
                                                                    field):
    service = add_service()
    before = counts()
    with pytest.raises(services.DomainError) as refused:
        services.update_service(service.id, details(**{"organisation_id": service.organisation_id,
                                                       **changes}), None)
    assert (refused.value.code, refused.value.field) == (code, field)
    db.session.expire_all()
    assert counts() == before
    assert service.name == "Housing advice (demo)"


def test_the_database_refuses_a_referable_service_without_next_steps(app_context):
    service = add_service()
    begin_write()
    service.referable = True
    with pytest.raises(Exception, match="referable_next_steps"):
        db.session.commit()
    db.session.rollback()


# --- lists kept tidy --------------------------------------------------------------------------

def test_changing_phones_keeps_the_ids_of_numbers_kept(app_context):
    service = add_service(phones=[("020 7946 0001", "Main"), ("0808 157 0002", "Freephone")])
    first_id = service.phones[0].oruk_id
    services.update_service(service.id, details(service.organisation_id, phones=[
        ("020 7946 0009", "Main, new number"), ("", "")]), None)
    assert [(p.number, p.description) for p in service.phones] == [
        ("020 7946 0009", "Main, new number")]
    assert service.phones[0].oruk_id == first_id
    assert db.session.scalar(select(func.count()).select_from(Phone)) == 1


def test_areas_are_listed_once_and_any_spelling_of_national_counts(app_context):
    service = add_service(areas=["Ealing", " ealing ", "NATIONAL", ""])
    assert service.area_names == ["Ealing", "National"]


# --- finding ----------------------------------------------------------------------------------

@pytest.fixture
def directory(app_context):
    """Four services: local housing, national helpline, a closed one and a referable one."""
    return {
        "housing": add_service(name="Ealing housing advice"),
        "helpline": add_service(name="Samaritans", pathways=["urgent", "health"],
                                areas=["National"], phones=[("116 123", "Free, 24 hours")]),
        "closed": add_service(name="Old drop-in", status="defunct", areas=["Ealing"]),
        "work": add_service(name="IPS employment", pathways=["education_work"],
                            areas=["Hammersmith and Fulham"], referable=True,
                            next_steps="An employment specialist will contact you.",
                            description="100% of referrals seen"),
    }


def names(found) -> list[str]:
    return [service.name for service in found]


def test_an_area_shows_its_own_services_and_national_ones(directory):
    assert names(services.find_services(area="ealing")) == ["Ealing housing advice",
                                                            "Samaritans"]


def test_pathway_words_and_closed_filters(directory):
    assert names(services.find_services(pathway="urgent")) == ["Samaritans"]
    assert names(services.find_services(words="ORG IPS")) == ["IPS employment"]
    assert names(services.find_services(words="100%")) == ["IPS employment"]
    assert names(services.find_services(words="%")) == ["IPS employment"]
    assert "Old drop-in" not in names(services.find_services())
    assert "Old drop-in" in names(services.find_services(everything=True))


def test_referable_services_and_known_areas(directory):
    assert names(services.referable_services()) == ["IPS employment"]
    assert services.referable_services(area="Ealing") == []
    assert services.known_areas() == ["Ealing", "Hammersmith and Fulham"]


# --- pages ------------------------------------------------------------------------------------

@pytest.fixture
def entry(app):
    """A stale service with a phone, as (oruk_id, organisation id)."""
    with app.app_context():
        service = add_service(description="Call us on the number below, or write.",
                              pathways=["accommodation"])
        return service.oruk_id, service.organisation_id


def test_service_descriptions_stored_raw_are_shown_as_text_never_markup(app, client, login_as):
    with app.app_context():
        org_id = organisation()
        begin_write()
        db.session.add(Service(organisation_id=org_id, name="Raw <img src=x>", oruk_id="raw-1",
                               description="<script>alert(1)</script>"))
        db.session.commit()
    login_as("volunteer")
    page = client.get("/directory/services/raw-1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("role", ["volunteer", "auditor", "organiser", "admin"])
def test_everyone_signed_in_can_browse_and_read(client, login_as, entry, role):
    login_as(role)
    listing = client.get("/directory/?pathway=accommodation&area=Ealing&words=housing")
    assert listing.status_code == 200
    assert "Housing advice (demo)" in listing.get_data(as_text=True)
    page = client.get(f"/directory/services/{entry[0]}").get_data(as_text=True)
    assert "020 7946 0001" in page and "Needs checking" in page


@pytest.mark.parametrize("role", ["volunteer", "auditor"])
def test_readers_cannot_change_or_check_entries(client, login_as, entry, role):
    login_as(role)
    token = csrf_token(client, "/directory/")
    assert client.get(f"/directory/services/{entry[0]}/edit").status_code == 403
    assert client.get("/directory/services/new").status_code == 403
    for action in ("checked", "delete"):
        response = client.post(f"/directory/services/{entry[0]}/{action}",
                               data={"csrf_token": token})
        assert response.status_code == 403
    assert "Mark as checked today" not in client.get(
        f"/directory/services/{entry[0]}").get_data(as_text=True)


def test_an_unknown_filter_value_gets_a_message_not_an_error(client, login_as, entry):
    login_as("volunteer")
    page = client.get("/directory/?area=Atlantis&pathway=nope").get_data(as_text=True)
    assert "Choose an area from the list" in page
    assert "Choose a pathway from the list" in page


def form_data(token: str, org_id: int, **changes) -> dict:
    """The service form as an organiser would submit it."""
    data = {"csrf_token": token, "name": "Housing advice (demo)", "organisation_id": str(org_id),
            "status": "active", "pathways": ["accommodation"], "areas": "Ealing",
            "phones-0-number": "020 7946 0001", "phones-0-description": "Weekdays",
            "url": "https://example.org/housing", "description": "Help to find a home.",
            "answer_days": "10"}
    data.update(changes)
    return data


def test_organiser_changes_a_phone_number_and_marks_the_entry_checked(app, client, login_as,
                                                                      entry):
    login_as("organiser")
    oruk_id, org_id = entry
    token = csrf_token(client, f"/directory/services/{oruk_id}/edit")
    response = client.post(f"/directory/services/{oruk_id}/edit", data=form_data(
        token, org_id, **{"phones-0-number": "020 7946 0999"}))
    assert response.status_code == 302
    page = client.get(f"/directory/services/{oruk_id}").get_data(as_text=True)
    assert "020 7946 0999" in page and 'data-testid="stale-warning"' in page
    client.post(f"/directory/services/{oruk_id}/checked", data={"csrf_token": token})
    page = client.get(f"/directory/services/{oruk_id}").get_data(as_text=True)
    assert 'data-testid="stale-warning"' not in page
    assert "by organiser@test.example" in page


def test_a_bad_phone_is_shown_on_its_own_row_and_nothing_changes(app, client, login_as, entry):
    login_as("organiser")
    oruk_id, org_id = entry
    token = csrf_token(client, f"/directory/services/{oruk_id}/edit")
    response = client.post(f"/directory/services/{oruk_id}/edit", data=form_data(
        token, org_id, **{"phones-1-number": "ring reception", "url": "https://example.org/new"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'href="#phones-1-number"[^>]*>[^<]*is not a phone number', page)
    with app.app_context():
        service = services.service_by_oruk_id(oruk_id)
        assert service.url == "https://example.org/housing"
        assert [phone.number for phone in service.phones] == ["020 7946 0001"]


def test_organiser_adds_an_organisation_and_a_national_referable_service(app, client, login_as):
    login_as("organiser")
    token = csrf_token(client, "/directory/organisations/new")
    client.post("/directory/organisations/new", data={
        "csrf_token": token, "name": "Fictional IPS Team", "website": "https://example.org"})
    with app.app_context():
        org_id = services.all_organisations()[0].id
    response = client.post("/directory/services/new", data=form_data(
        token, org_id, name="IPS employment", areas="", national="y",
        pathways=["education_work", "health"], referable="y",
        next_steps="An employment specialist will contact you within two weeks.",
        referral_details=["prison_number", "release_date"]))
    assert response.status_code == 302
    with app.app_context():
        service = services.find_services(words="IPS")[0]
        assert service.area_names == ["National"]
        assert service.referable and service.detail_codes == ["prison_number", "release_date"]
        assert service.pathway_codes == ["education_work", "health"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Prison number, Release date" in page


def test_a_javascript_website_is_refused_on_the_form(app, client, login_as, entry):
    login_as("organiser")
    oruk_id, org_id = entry
    token = csrf_token(client, f"/directory/services/{oruk_id}/edit")
    page = client.post(f"/directory/services/{oruk_id}/edit", data=form_data(
        token, org_id, url="javascript:alert(1)")).get_data(as_text=True)
    assert 'href="#url"' in page and "must be a web address" in page


def test_removing_a_service(app, client, login_as, entry):
    login_as("admin")
    token = csrf_token(client, f"/directory/services/{entry[0]}")
    response = client.post(f"/directory/services/{entry[0]}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get(f"/directory/services/{entry[0]}").status_code == 404
