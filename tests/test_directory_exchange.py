"""Directory import and export: Open Referral UK JSON and flat CSV round trips through the real
pages, the export checked against our ORUK schema, every kind of bad file refused with nothing
written, updating and removing entries, the audit row and who may do it."""

import copy
import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import delete, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.directory import importing, oruk
from inreach.directory.entries import ImportRefused
from inreach.directory.models import (
    Contact,
    DirectoryOrganisation,
    Phone,
    Service,
    ServiceArea,
    ServicePathway,
)
from inreach.directory.services import (
    OrganisationDetails,
    ServiceDetails,
    create_organisation,
    create_service,
)
from inreach.directory.vocabulary import TAXONOMY, pathway_term_id

from .conftest import csrf_token, log_in

SCHEMA = Path(__file__).with_name("oruk_service_schema.json")
TABLES = (Phone, Contact, ServiceArea, ServicePathway, Service, DirectoryOrganisation)
IMPORT = "/directory/import"


# Helpers -------------------------------------------------------------------------------------

def fill_directory() -> None:
    """Three services under two organisations, using every field: several contacts, national
    and local areas, text with accents, new lines and cells a spreadsheet would run."""
    trust = create_organisation(OrganisationDetails(
        name="Fictional Housing Trust", description="Housing charity — démo only",
        website="https://housing.example.org", email="info@housing.example.org"), None)
    nhs = create_organisation(OrganisationDetails(name="North Thames NHS Trust (demo)"), None)
    housing = create_service(ServiceDetails(
        name="Housing Options", organisation_id=trust.id,
        description="Help to find somewhere to live.\n“Café” drop-in on Fridays.",
        url="https://housing.example.org/options", email="options@housing.example.org",
        eligibility="Men released to Ealing or Hounslow", application_process="Phone us",
        fees="Free", languages="English, Polish", address="1 Example Street\nEaling\nW5 1AA",
        opening_hours="Monday to Friday, 9am to 5pm", pathways=["finance_id", "accommodation"],
        areas=["Ealing", "Hounslow"], phones=[("0800 123 4567", "Freephone, 24 hours")],
        referable=True, next_steps="We call within 5 working days.",
        referral_contact="Housing team", referral_details=["prison_number", "release_date"],
        referral_route="email", referral_email="referrals@housing.example.org", answer_days=15,
        ips=True), None)
    begin_write()
    housing.contacts.append(Contact(name="Ana Fictional", title="Caseworker", phones=[
        Phone(number="020 7946 0002", description="Direct line")]))
    housing.assured_date, housing.assurer_email = date(2026, 5, 1), "olu@example.org"
    create_service(ServiceDetails(
        name="Drug and alcohol support", organisation_id=nhs.id, status="temporarily closed",
        description="=SUM(A1) is text here", pathways=["drugs_alcohol", "health"],
        areas=["National"], phones=[("+44 20 7946 0000", "- press 2")], referral_route="phone",
        referral_instructions="+44 20 7946 0005, then press 3.\n“Have his release date.”",
        answer_days=1), None)
    create_service(ServiceDetails(
        name="Housing Options", organisation_id=nhs.id, status="defunct",
        pathways=["urgent"], areas=["Hammersmith and Fulham"]), None)
    db.session.commit()


def table_counts() -> dict[str, int]:
    """Rows in every directory table."""
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES}


def clear_directory() -> None:
    """Empty every directory table, as a new database would be."""
    for model in TABLES:
        begin_write()
        db.session.execute(delete(model))
    db.session.commit()


def download(client, path: str):
    """A download from the export pages, checked to be a dated attachment."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    extension = path.rsplit(".", 1)[1]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="directory-{today():%Y-%m-%d}.{extension}"')
    return response.data


def upload(client, content: bytes, filename: str, remove: bool = False):
    """Submit the import form like a browser."""
    data = {"csrf_token": csrf_token(client, IMPORT), "file": (io.BytesIO(content), filename)}
    if remove:
        data["remove_missing"] = "y"
    return client.post(IMPORT, data=data, content_type="multipart/form-data")


def load(content: bytes, filename: str = "directory.json", remove: bool = False):
    """Import a file straight through the service."""
    return importing.import_file(content, filename, remove, None)


def attribute(name: str, taxonomy: str = TAXONOMY) -> dict:
    """A pathway attribute as another system might write it: by name, without our term id."""
    return {"id": f"attribute-{name}", "taxonomy_term": {"id": f"term-{name}", "name": name,
                                                         "taxonomy": taxonomy}}


def service_item(number: int = 1, **changes) -> dict:
    """A valid, minimal ORUK service with ids numbered so several fit in one file."""
    item = {"id": f"service-{number}", "name": f"Service {number}", "status": "active",
            "url": "https://example.org",
            "organization": {"id": "organisation-1", "name": "Fictional Trust",
                             "description": ""},
            "contacts": [{"id": f"contact-{number}", "phones": [
                {"id": f"phone-{number}", "number": "0800 123 4567"}]}],
            "service_areas": [{"id": f"area-{number}", "name": "Ealing"}],
            "attributes": [attribute("Accommodation")]}
    return item | changes


def as_json(*items) -> bytes:
    """A bare JSON list of services."""
    return json.dumps(list(items)).encode()


def refusal(content: bytes, filename: str = "directory.json") -> list[str]:
    """The problems an import is refused with, checking it wrote nothing."""
    before = table_counts()
    with pytest.raises(ImportRefused) as refused:
        load(content, filename)
    db.session.rollback()
    assert table_counts() == before
    return refused.value.problems


@pytest.fixture
def filled(app_context):
    """The app with the three-service directory."""
    fill_directory()
    return app_context


# Round trips through the pages ---------------------------------------------------------------

def test_json_export_imported_into_an_empty_directory_exports_byte_identical(app, client,
                                                                             login_as):
    login_as("organiser")
    with app.app_context():
        fill_directory()
        before = table_counts()
    first = download(client, "/directory/export.json")
    with app.app_context():
        clear_directory()
    response = upload(client, first, "directory.json")
    assert response.status_code == 302 and response.headers["Location"] == "/directory/"
    assert "3 added, 0 updated, 0 removed" in client.get("/directory/").get_data(as_text=True)
    assert download(client, "/directory/export.json") == first
    with app.app_context():
        assert table_counts() == before


def test_csv_export_imported_into_an_empty_directory_exports_the_same(app, client, login_as):
    login_as("admin")
    with app.app_context():
        fill_directory()
    first = download(client, "/directory/export.csv")
    assert first.startswith(b"\xef\xbb\xbfservice_id,name,status,")  # BOM for spreadsheets
    text = first.decode("utf-8-sig")
    assert "'=SUM(A1) is text here" in text and "'+44 20 7946 0000 | - press 2" in text
    with app.app_context():
        clear_directory()
    assert upload(client, first, "directory.csv").status_code == 302
    assert download(client, "/directory/export.csv") == first
    with app.app_context():
        service = db.session.scalar(select(Service).where(Service.status == "temporarily closed"))
        assert service.description == "=SUM(A1) is text here"
        assert [(p.number, p.description) for p in service.phones] == [
            ("+44 20 7946 0000", "- press 2")]
        assert (service.referral_route, service.referral_instructions, service.answer_days) == (
            "phone", "+44 20 7946 0005, then press 3.\n“Have his release date.”", 1)
        housing = db.session.scalar(select(Service).where(Service.referable))
        assert (housing.referral_route, housing.referral_email, housing.answer_days,
                housing.ips) == ("email", "referrals@housing.example.org", 15, True)


def test_the_json_export_keeps_every_field(filled):
    services = json.loads(oruk.export_text(list(db.session.scalars(
        select(Service).order_by(Service.name, Service.id)))))["contents"]
    housing = services[1]
    assert [item["name"] for item in services] == [
        "Drug and alcohol support", "Housing Options", "Housing Options"]
    assert housing["organization"]["website"] == "https://housing.example.org"
    assert [[phone["number"] for phone in contact["phones"]] for contact in housing["contacts"]] \
        == [["0800 123 4567"], ["020 7946 0002"]]
    assert [area["name"] for area in housing["service_areas"]] == ["Ealing", "Hounslow"]
    assert [language["name"] for language in housing["languages"]] == ["English", "Polish"]
    assert housing["service_at_locations"][0]["location"]["addresses"][0]["address_1"] == (
        "1 Example Street\nEaling\nW5 1AA")
    assert [item["taxonomy_term"]["term"] for item in housing["attributes"]] == [
        "accommodation", "finance_id"]
    assert housing["inreach_referral"] == {
        "accepts_self_referrals": True, "what_happens_next": "We call within 5 working days.",
        "referral_contact": "Housing team", "details_required": ["prison_number", "release_date"],
        "referral_route": "email", "referral_email": "referrals@housing.example.org",
        "referral_instructions": "", "answer_working_days": 15, "ips_employment": True}
    assert services[0]["inreach_referral"]["referral_route"] == "phone"
    assert services[2]["inreach_referral"] | {"details_required": []} == {
        "accepts_self_referrals": False, "what_happens_next": "", "referral_contact": "",
        "details_required": [], "referral_route": "", "referral_email": "",
        "referral_instructions": "", "answer_working_days": 10, "ips_employment": False}
    assert housing["assured_date"] == "2026-05-01"


def test_the_json_export_matches_our_oruk_schema(filled):
    document = json.loads(oruk.export_text(list(db.session.scalars(select(Service)))))
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["total_items"] == document["size"] == 3 and not document["empty"]


def test_the_schema_catches_a_field_oruk_does_not_have(filled):
    document = json.loads(oruk.export_text(list(db.session.scalars(select(Service)))))
    document["contents"][0]["organization"]["charity_number"] = "123"
    with pytest.raises(jsonschema.ValidationError, match="charity_number"):
        jsonschema.validate(document, json.loads(SCHEMA.read_text()))


def test_an_empty_directory_exports_an_empty_page(app_context):
    assert json.loads(oruk.export_text([])) == {
        "total_items": 0, "total_pages": 1, "page_number": 1, "size": 0, "first_page": True,
        "last_page": True, "empty": True, "contents": []}


# Reading other systems' files ----------------------------------------------------------------

def test_every_id_in_the_file_is_kept(app_context):
    counts = load(json.dumps({"contents": [service_item()]}).encode())
    assert str(counts) == "1 added, 0 updated, 0 removed"
    service = db.session.scalar(select(Service))
    assert (service.oruk_id, service.organisation.oruk_id, service.contacts[0].oruk_id,
            service.phones[0].oruk_id, service.areas[0].oruk_id) == (
        "service-1", "organisation-1", "contact-1", "phone-1", "area-1")


def test_pathways_by_code_label_or_term_id_and_other_taxonomies_ignored(app_context):
    load(as_json(service_item(attributes=[
        attribute("accommodation"), attribute("DRUGS AND ALCOHOL"),
        {"id": "x", "taxonomy_term_id": pathway_term_id("health")},
        attribute("Housing", taxonomy="Local Government Service List")])))
    assert db.session.scalar(select(Service)).pathway_codes == [
        "accommodation", "drugs_alcohol", "health"]


def test_address_parts_are_joined_line_by_line(app_context):
    load(as_json(service_item(service_at_locations=[{"id": "sal", "location": {
        "id": "loc", "addresses": [{"id": "a", "address_1": "1 Example Street",
                                    "address_2": "", "city": "Ealing",
                                    "postal_code": "W5 1AA", "country": "GB"}]}}])))
    assert db.session.scalar(select(Service)).address == "1 Example Street\nEaling\nW5 1AA"


# Refusals: every problem named, nothing written ----------------------------------------------

BAD_ITEMS = [
    ({"id": None}, 'Entry 2 ("Service 2"): the id is missing'),
    ({"id": "has spaces"}, "the id 'has spaces' is not one we can use"),
    ({"id": 7}, "the id must be text"),
    ({"name": ""}, "Entry 2: Enter the service's name"),
    ({"name": 12}, 'Entry 2: "name" must be text, not a number'),
    ({"contacts": "0800 123 4567"}, '"contacts" must be a list, not text'),
    ({"contacts": [["x"]]}, "Entry 2 (\"Service 2\"), contact 1: must be an object, not a list"),
    ({"organization": None}, '"organization" is missing'),
    ({"status": "open"}, "Status must be one of: active"),
    ({"url": "javascript:alert(1)"}, 'Entry 2 ("Service 2"): Website must be a web address'),
    ({"url": "file:///etc/passwd"}, "Website must be a web address starting https://"),
    ({"email": "not an email"}, "Email address must be an email address"),
    ({"description": "<b>Free</b>"}, "Description must be plain text"),
    ({"assured_date": "01/05/2026"}, '"assured_date" must be a date like 2026-11-24'),
    ({"assurer_email": "nobody"}, "Assurer email must be an email address"),
    ({"attributes": [attribute("Housing")]}, "Unknown pathway 'Housing'"),
    ({"attributes": []}, "Choose at least one pathway"),
    ({"service_areas": []}, "Enter at least one local authority"),
    ({"contacts": [{"id": "c", "phones": [{"id": "p", "number": "call us"}]}]},
     "'call us' is not a phone number"),
    ({"contacts": [{"id": "c", "name": "<i>Ana</i>"}]}, "Contact name must be plain text"),
    ({"inreach_referral": {"accepts_self_referrals": "yes"}},
     '"accepts_self_referrals" must be true or false, not text'),
    ({"inreach_referral": {"accepts_self_referrals": True}}, "Say what happens next"),
    ({"organization": {"id": "organisation-2", "name": "Org", "description": "",
                       "website": "javascript:void(0)"}},
     "Organisation website must be a web address"),
    ({"organization": {"id": "organisation-1", "name": "Another name", "description": ""}},
     'the organisation id "organisation-1" has different details in Entry 1 ("Service 1")'),
    ({"id": "service-1"}, 'the service id "service-1" is also used by Entry 1 ("Service 1")'),
    ({"contacts": [{"id": "contact-1"}]}, 'the contact id "contact-1" is also used by Entry 1'),
    ({"contacts": [{"id": "c", "phones": [{"id": "p", "number": "0800 123 4567"},
                                           {"id": "p", "number": "0800 123 4568"}]}]},
     'the phone id "p" is used twice'),
    ({"service_areas": [{"id": "area-1", "name": "Hounslow"}]},
     'the service area id "area-1" is also used by Entry 1'),
    # How referrals reach the service
    ({"inreach_referral": {"referral_route": "fax"}},
     "Referral route must be one of: email, phone, portal, post (or blank), not 'fax'"),
    ({"inreach_referral": {"referral_route": "javascript:alert(1)"}},
     "Referral route must be one of: email, phone, portal, post (or blank), not 'javascript:"),
    ({"inreach_referral": {"referral_route": 3}}, '"referral_route" must be text, not a number'),
    ({"inreach_referral": {"referral_route": "email"}},
     "Enter the secure email address referrals are sent to"),
    ({"inreach_referral": {"referral_route": "email", "referral_email": "javascript:alert(1)"}},
     "Referral email must be an email address like name@example.org"),
    ({"inreach_referral": {"referral_email": "a@b@example.org"}},
     "Referral email must be an email address"),
    ({"inreach_referral": {"referral_route": "portal"}},
     "Say how to refer by online portal: what to do and what to have ready"),
    ({"inreach_referral": {"referral_route": "post", "referral_instructions": " "}},
     "Say how to refer by post"),
    ({"inreach_referral": {"referral_route": "portal",
                           "referral_instructions": "Use JavaScript:alert(document.cookie)"}},
     "Referral instructions must not hold javascript:, data: or file: links"),
    ({"inreach_referral": {"referral_route": "phone",
                           "referral_instructions": "<a href='https://example.org'>Call</a>"}},
     "Referral instructions must be plain text"),
    ({"inreach_referral": {"referral_route": "phone", "referral_instructions": "x" * 2001}},
     "Referral instructions must be 2000 characters or fewer"),
    ({"inreach_referral": {"answer_working_days": 0}},
     "Working days to answer must be a whole number from 1 to 60"),
    ({"inreach_referral": {"answer_working_days": 61}},
     "Working days to answer must be a whole number from 1 to 60"),
    ({"inreach_referral": {"answer_working_days": "10"}},
     '"answer_working_days" must be a whole number, not text'),
    ({"inreach_referral": {"answer_working_days": 2.5}},
     '"answer_working_days" must be a whole number, not a number with a decimal point'),
    ({"inreach_referral": {"answer_working_days": True}},
     '"answer_working_days" must be a whole number, not true/false'),
    ({"inreach_referral": {"ips_employment": "yes"}},
     '"ips_employment" must be true or false, not text'),
]


@pytest.mark.parametrize(("changes", "message"), BAD_ITEMS)
def test_a_bad_entry_is_refused_naming_it_and_nothing_is_written(filled, changes, message):
    problems = refusal(as_json(service_item(1), service_item(2, **changes)))
    assert len(problems) == 1 and message in problems[0], problems
    assert problems[0].startswith("Entry 2")


BAD_FILES = [
    (b'[{"id": "a",\n  "name": }]', "directory.json",
     "The file is not valid JSON: Expecting value at line 2, column 11"),
    (b"42", "directory.json", "The file must be a list of services"),
    (b'{"services": []}', "directory.json", "The file must be a list of services"),
    (b"[1]", "directory.json", "Entry 1: must be an object with the service's fields, not a "
                               "number"),
    (b"[]", "directory.json", "The file has no services in it"),
    (b"", "directory.json", "The file is empty"),
    (b"  \n", "directory.csv", "The file is empty"),
    ("[{\"name\": \"Café\"}]".encode("latin-1"), "directory.json", "The file is not UTF-8"),
    (b"name,pathways\nX,health\n", "directory.csv", "Missing: service_id, status"),
    (b"<html></html>", "directory.html", "Choose a .json (Open Referral UK) or .csv file"),
]


@pytest.mark.parametrize(("content", "filename", "message"), BAD_FILES)
def test_a_bad_file_is_refused_with_a_message(filled, content, filename, message):
    problems = refusal(content, filename)
    assert len(problems) == 1 and message in problems[0], problems


def test_every_problem_is_listed_up_to_fifty(filled):
    problems = refusal(as_json(*(service_item(n, url="file:///x") for n in range(1, 61))))
    assert len(problems) == 51
    assert problems[0].startswith('Entry 1 ("Service 1"): Website must be')
    assert problems[-1] == "… and 10 more problems"


def test_too_many_services_or_too_big_a_file_is_refused(filled):
    assert "at most 5,000 can be imported" in refusal(
        as_json(*(service_item(n) for n in range(5001))))[0]
    assert "smaller than 5 MB" in refusal(b" " * (5 * 2**20 + 1) + b"[]")[0]


def test_an_id_belonging_to_another_service_in_the_directory_is_refused(filled):
    other = db.session.scalar(select(Service).where(Service.name == "Drug and alcohol support"))
    item = service_item(contacts=[{"id": other.contacts[0].oruk_id}],
                        service_areas=[{"id": other.areas[0].oruk_id, "name": "Ealing"}])
    problems = refusal(as_json(item))
    assert problems == [
        f'Entry 1 ("Service 1"): the contact id "{other.contacts[0].oruk_id}" already belongs '
        'to another service in the directory ("Drug and alcohol support")',
        f'Entry 1 ("Service 1"): the service area id "{other.areas[0].oruk_id}" already belongs '
        'to another service in the directory ("Drug and alcohol support")']


CSV_HEADER = ("service_id,name,status,organisation_id,organisation_name,organisation_description,"
              "organisation_website,organisation_email,description,url,email,eligibility,"
              "application_process,fees,languages,address,opening_hours,pathways,areas,phones,"
              "accepts_self_referrals,what_happens_next,referral_contact,details_required,"
              "referral_route,referral_email,referral_instructions,answer_working_days,"
              "ips_employment,assured_date,assurer_email")


def csv_row(**cells) -> str:
    """A CSV line with the given cells, the rest blank (or a valid default)."""
    values = {"name": "Job club", "status": "active", "organisation_name": "Fictional Trust",
              "pathways": "education_work", "areas": "Ealing", **cells}
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(
        [values.get(name, "") for name in CSV_HEADER.split(",")])
    return line.getvalue()


def test_csv_problems_name_the_row_and_column(filled):
    problems = refusal("\n".join([
        CSV_HEADER, csv_row(), csv_row(name="Bad yes", accepts_self_referrals="maybe"),
        csv_row(name="Bad date", assured_date="tomorrow"),
        csv_row(name="Bad phone", phones="0800 123 4567 | Free; call us"),
        csv_row(name="Bad pathway", pathways="Accommodation; Housing"),
        csv_row(name="Bad id", service_id="a b")]).encode(), "directory.csv")
    assert problems == [
        "Row 3 (\"Bad yes\"): accepts_self_referrals must be yes or no, not 'maybe'",
        "Row 4 (\"Bad date\"): assured_date must be a date like 2026-11-24, not 'tomorrow'",
        "Row 5 (\"Bad phone\"): 'call us' is not a phone number: use digits, like "
        "0800 123 4567 or 116 123",
        "Row 6 (\"Bad pathway\"): Unknown pathway 'Housing': use one of Accommodation, "
        "Attitudes, thinking and behaviour, Children, families and communities, Drugs and "
        "alcohol, Education, skills and work, Finance and ID, Health, Urgent help",
        "Row 7 (\"Bad id\"): the id 'a b' is not one we can use: an id is 1 to 36 letters, "
        "digits or . _ : - (such as a UUID)"]


def test_csv_without_ids_adds_services_and_finds_organisations_by_name(filled):
    content = "\ufeff" + "\r\n".join([
        CSV_HEADER, csv_row(organisation_name="fictional housing trust",
                            pathways="Education, skills and work; health",
                            phones="0800 123 4567 | Free; 020 7946 0003")])
    assert str(load(content.encode(), "new.csv")) == "1 added, 0 updated, 0 removed"
    service = db.session.scalar(select(Service).where(Service.name == "Job club"))
    assert service.organisation.name == "Fictional Housing Trust"
    assert service.pathway_codes == ["education_work", "health"]
    assert [(p.number, p.description) for p in service.phones] == [
        ("0800 123 4567", "Free"), ("020 7946 0003", "")]


# Updating and removing -----------------------------------------------------------------------

def exported(service: Service) -> dict:
    """A service as the JSON export writes it."""
    return copy.deepcopy(oruk.service_object(service))


def test_an_existing_id_updates_the_entry_and_its_lists_become_the_files(filled):
    housing = db.session.scalar(select(Service).where(Service.referable))
    item = exported(housing)
    item["name"] = "Housing Options (new)"
    item["contacts"] = [item["contacts"][1]]  # the first contact has gone
    item["contacts"][0]["phones"].append({"id": "phone-new", "number": "020 7946 0009"})
    item["service_areas"] = [item["service_areas"][1], {"id": "area-new", "name": "Ealing"}]
    item["attributes"] = [attribute("Health")]
    counts = load(as_json(item))
    assert str(counts) == "0 added, 1 updated, 0 removed"
    db.session.expire_all()
    assert housing.name == "Housing Options (new)"
    assert [(contact.name, [p.oruk_id for p in contact.phones]) for contact in housing.contacts] \
        == [("Ana Fictional", [item["contacts"][0]["phones"][0]["id"], "phone-new"])]
    assert [(area.oruk_id, area.name) for area in housing.areas] == [
        (item["service_areas"][0]["id"], "Hounslow"), ("area-new", "Ealing")]
    assert housing.pathway_codes == ["health"]
    assert db.session.scalar(select(func.count()).select_from(Service)) == 3


def test_entries_missing_from_the_file_are_removed_only_when_asked(filled):
    housing = db.session.scalar(select(Service).where(Service.referable))
    content = as_json(exported(housing))
    assert str(load(content)) == "0 added, 1 updated, 0 removed"
    assert table_counts()["directory_services"] == 3
    assert str(load(content, remove=True)) == "0 added, 1 updated, 2 removed"
    assert db.session.scalars(select(Service.name)).all() == ["Housing Options"]
    assert db.session.scalars(select(DirectoryOrganisation.name)).all() == [
        "Fictional Housing Trust"]  # the NHS trust ran only the removed services


def test_an_import_leaves_one_audit_row_with_the_counts(filled):
    load(as_json(service_item()))
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "directory.imported")).all()
    assert [event.detail for event in events] == ["1 added, 0 updated, 0 removed"]


# The pages -----------------------------------------------------------------------------------

def test_a_refused_upload_lists_every_problem_and_writes_nothing(app, client, login_as):
    login_as("organiser")
    content = as_json(service_item(1, url="javascript:alert(1)"), service_item(2, name=""))
    response = upload(client, content, "directory.json", remove=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Entry 1 (&#34;Service 1&#34;): Website must be a web address" in page
    assert "Entry 2: Enter the service&#39;s name" in page
    assert "Nothing was imported: the file has 2 problems, listed above" in page
    assert 'href="#file"' in page
    with app.app_context():
        assert set(table_counts().values()) == {0}
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "directory.imported")) == 0


def test_one_problem_shows_on_the_file_field(client, login_as):
    login_as("organiser")
    page = upload(client, b"{", "directory.json").get_data(as_text=True)
    assert re.search(r'id="file-error"\s*>\s*<span[^>]*>Error: </span>'
                     r"The file is not valid JSON: Expecting property name", page)
    assert "listed above" not in page


def test_the_upload_needs_a_file(client, login_as):
    login_as("organiser")
    response = client.post(IMPORT, data={"csrf_token": csrf_token(client, IMPORT)},
                           content_type="multipart/form-data")
    assert "Choose an Open Referral UK .json file" in response.get_data(as_text=True)


def test_a_50_mb_upload_is_refused_as_too_large_and_writes_nothing(app, client, login_as):
    login_as("organiser")
    # Encoded here in memory: the test client would otherwise spool it to an unclosed file.
    boundary, body = encode_multipart({
        "csrf_token": csrf_token(client, IMPORT),
        "file": FileStorage(io.BytesIO(b"[" + b" " * (50 * 2**20) + b"]"), "big.json")})
    response = client.post(IMPORT, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)
    with app.app_context():
        assert set(table_counts().values()) == {0}


def test_a_file_over_5_mb_is_refused_on_the_form(client, login_as):
    login_as("organiser")
    boundary, body = encode_multipart({
        "csrf_token": csrf_token(client, IMPORT),
        "file": FileStorage(io.BytesIO(b"[" + b" " * (6 * 2**20) + b"]"), "big.json")})
    page = client.post(IMPORT, data=body, content_type=f"multipart/form-data; boundary={boundary}"
                       ).get_data(as_text=True)
    assert "The file must be smaller than 5 MB" in page and 'href="#file"' in page


@pytest.mark.parametrize(("role", "allowed"), [("organiser", True), ("admin", True),
                                               ("auditor", False), ("volunteer", False)])
def test_only_planners_may_import(app, client, make_user, role, allowed):
    make_user(role)
    log_in(client, f"{role}@test.example")
    response = client.post(IMPORT, content_type="multipart/form-data", data={
        # a real token from a page every role may open: the refusal is about the role
        "csrf_token": csrf_token(client, "/account/password"),
        "file": (io.BytesIO(as_json(service_item())), "directory.json")})
    assert response.status_code == (302 if allowed else 403)
    with app.app_context():
        assert table_counts()["directory_services"] == (1 if allowed else 0)


@pytest.mark.parametrize(("role", "allowed"), [("organiser", True), ("admin", True),
                                               ("auditor", True), ("volunteer", False)])
def test_planners_and_auditors_may_export(client, make_user, role, allowed):
    make_user(role)
    log_in(client, f"{role}@test.example")
    for path in ("/directory/export.json", "/directory/export.csv"):
        assert client.get(path).status_code == (200 if allowed else 403)


def test_an_import_without_a_csrf_token_is_refused(app, client, login_as):
    login_as("organiser")
    response = client.post(IMPORT, content_type="multipart/form-data", data={
        "file": (io.BytesIO(as_json(service_item())), "directory.json")})
    assert response.status_code == 400
    with app.app_context():
        assert table_counts()["directory_services"] == 0
