"""Input no database can take is refused like any other bad input, never with a 500: ids too
large for an id column (in page addresses, query strings, forms and the outbox) are unknown,
and control characters (a NUL above all, which PostgreSQL cannot store) are refused with a
message on the field, in every form (one base class) and every import."""

import importlib
import json
import pkgutil

import pytest
import wtforms
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter  # ours for <int:...> is a subclass

import inreach
from inreach.cohorts import importing as cohort_import
from inreach.database import db
from inreach.directory import importing as directory_import
from inreach.directory.entries import ImportRefused
from inreach.directory.forms import PhoneForm
from inreach.directory.models import DirectoryOrganisation, Service
from inreach.directory.vocabulary import TAXONOMY
from inreach.errors import DomainError
from inreach.fields import FlaskForm, Form, GuardedInput, id_or_none
from inreach.paging import requested_key
from inreach.prisons.models import Prison
from inreach.referrals.models import ReferralSet
from inreach.urls import MAX_ID

from .conftest import csrf_token, log_in
from .test_attendance import day  # noqa: F401  (the fixture: a visit today with a roster)
from .test_referrals_pages import answers, as_user, place  # noqa: F401  (place: fixture)

# Too large for PostgreSQL's integer ids, for SQLite's 64-bit ones, for any 64-bit number.
TOO_LARGE = [2**31, 2**63, 2**64, 10**40]
CONTROL = "must not contain control characters"


def _count(app, model) -> int:
    """How many rows the table has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# Ids in page addresses -----------------------------------------------------------------------

def _address(rule, number: int) -> str:
    """The rule's path with every id argument set to the number (text parts to "x")."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = number
        elif hasattr(converter, "items"):  # <any(a, b):change>
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def _id_rules(app) -> list:
    """Every route with an id in its address."""
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(converter, IntegerConverter)
                   for converter in rule._converters.values())]


def _request(client, rule, path: str, token: str):
    """GET the path, or POST it with a valid CSRF token when the route takes only POST."""
    if "GET" in rule.methods:
        return client.get(path)
    return client.post(path, data={"csrf_token": token})


def _walk(app, client, number_for) -> list[tuple[int, str, str]]:
    """Request every address with an id (the id given by ``number_for(index)``); the status,
    method and path of each that is not a 404."""
    token = client.get("/outbox/token").json["csrf_token"]
    wrong = []
    for index, rule in enumerate(_id_rules(app)):
        path = _address(rule, number_for(index))
        status = _request(client, rule, path, token).status_code
        if status != 404:
            wrong.append((status, "GET" if "GET" in rule.methods else "POST", path))
    return wrong


def test_every_address_with_an_id_too_large_for_the_database_is_not_found(app, make_user):
    rules = _id_rules(app)
    assert len(rules) >= 46  # the 46 shapes the issue found, and every one added since
    routes = app.url_map.bind("localhost")
    for rule in rules:  # every number against the routes themselves
        for number in TOO_LARGE:
            with pytest.raises(NotFound):
                routes.match(_address(rule, number), "GET" if "GET" in rule.methods else "POST")
    for role in ("organiser", "admin"):  # and over HTTP, each address with one of the numbers
        client = app.test_client()
        make_user(role)
        assert log_in(client, f"{role}@test.example").status_code == 302
        assert _walk(app, client, lambda index: TOO_LARGE[index % len(TOO_LARGE)]) == []
    # The largest id the database holds is merely unknown: whatever the page says, never a 500.
    assert [path for status, _, path in _walk(app, client, lambda index: MAX_ID)
            if status >= 500] == []


# Ids in query strings, chosen in forms and sent by the outbox --------------------------------

@pytest.mark.parametrize(("text", "number"), [
    ("42", 42), ("0042", 42), (str(MAX_ID), MAX_ID), ("", None), ("abc", None), ("²", None),
    ("-1", None), *((str(number), 0) for number in TOO_LARGE), ("9" * 5000, 0)])
def test_a_chosen_id_too_large_for_the_database_is_one_no_row_has(text, number):
    assert id_or_none(text) == number


@pytest.mark.parametrize("text", [*(str(number) for number in TOO_LARGE), "-1", "x"])
def test_a_paging_key_outside_the_ids_gives_the_newest_page(text):
    assert requested_key({"older_than": text}, "older_than") is None
    assert requested_key({"older_than": str(MAX_ID)}, "older_than") == MAX_ID


def test_too_large_ids_in_query_strings_are_unknown_and_control_characters_not_found(
        app, client, login_as):
    with pytest.raises(NotFound):  # no route matches, so no query ever sees the NUL
        app.url_map.bind("localhost").match("/directory/services/a\x00b")
    login_as("admin")
    huge = str(2**63)
    assert client.get(f"/audit/?older_than={huge}&newer_than={10**40}").status_code == 200
    assert client.get(f"/follow-up/chase?visit={huge}").status_code == 404  # as an unknown one
    page = client.get(f"/reports/?prison={huge}").get_data(as_text=True)
    assert "Choose a prison from the list" in page
    for path in ("/directory/services/%00", "/directory/organisations/a%01b/edit",
                 "/visits/1/sessions/1/referrals/%7F", "/directory/services/a%C2%85"):
        assert client.get(path).status_code == 404, path


def test_the_self_referral_pages_refuse_what_no_database_holds(app, client, place):  # noqa: F811
    as_user(client, "volunteer@test.example")
    for changes, message in [({"chosen": [str(2**63)]}, "is too large a number"),
                             ({"consent_version": str(2**64)}, "is too large a number"),
                             ({"notes": "Wants\x00help"}, f"Notes {CONTROL}"),
                             ({"probation_name": "Ann\tFictional"}, CONTROL),
                             ({"client_id": "abc\x00"}, CONTROL)]:
        data = answers(client, place["john_url"], **changes)
        response = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
        assert response.status_code == 422 and message in response.json["message"], changes
    assert _count(app, ReferralSet) == 0
    url = place["base"] + "/paper"
    page = client.post(url, data={"csrf_token": csrf_token(client, url), "reference": "AB\x00"})
    assert page.status_code == 200 and f"The form reference {CONTROL}" in page.get_data(
        as_text=True)


# Control characters in forms -----------------------------------------------------------------

def test_a_nul_in_the_prison_or_directory_organisation_form_is_refused_on_its_field(
        app, client, login_as):
    login_as("admin")
    data = {"csrf_token": csrf_token(client, "/prisons/new"), "name": "HMP Fictional\x00",
            "code": "FIC", "address": "1 Road\r\n\tTown"}
    response = client.post("/prisons/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Name {CONTROL}" in page and 'href="#name"' in page
    assert _count(app, Prison) == 0
    response = client.post("/prisons/new", data={**data, "name": "HMP Fictional"})
    assert response.status_code == 302  # line breaks and a tab in the address are fine
    with app.app_context():
        assert db.session.scalar(select(Prison.address)) == "1 Road\r\n\tTown"

    url = "/directory/organisations/new"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "name": "Fictional Trust", "description": "Helps\x00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Description {CONTROL}" in page and 'href="#description"' in page
    assert _count(app, DirectoryOrganisation) == 0


class Sample(Form):
    """One field of each kind the check treats differently."""

    line = wtforms.StringField("Line")
    text = wtforms.TextAreaField("Text")
    number = wtforms.IntegerField("Number", validators=[wtforms.validators.Optional()])
    many = wtforms.SelectMultipleField("Many", coerce=int, validate_choice=False)


@pytest.mark.parametrize(("data", "error"), [
    ({"line": "Ann Fictional", "text": "Line one\r\nLine\ttwo"}, None),
    ({"line": "Café £5 — “quoted”"}, None),
    ({"line": "a\x00b"}, ("line", f"Line {CONTROL}")),
    ({"line": "a\tb"}, ("line", f"Line {CONTROL}")),
    ({"line": "a\nb"}, ("line", f"Line {CONTROL}")),
    ({"line": "\x1c"}, ("line", f"Line {CONTROL}")),
    ({"line": "a\x7f"}, ("line", f"Line {CONTROL}")),
    ({"line": "a\x85"}, ("line", f"Line {CONTROL}")),
    ({"text": "a\x00b"}, ("text", f"Text {CONTROL}")),
    ({"text": "a\x0bb"}, ("text", f"Text {CONTROL}")),
    ({"number": str(MAX_ID)}, None),
    ({"number": str(-MAX_ID - 1)}, None),
    ({"number": str(2**31)}, ("number", "Number is too large a number")),
    ({"number": str(-(2**31) - 1)}, ("number", "Number is too large a number")),
    ({"many": ["1", str(2**63)]}, ("many", "Many is too large a number")),
    ({"many": ["1\x00"]}, ("many", f"Many {CONTROL}")),
])
def test_every_field_refuses_control_characters_and_numbers_too_large(data, error):
    form = Sample(MultiDict([(name, value) for name, values in data.items()
                             for value in (values if isinstance(values, list) else [values])]))
    assert form.validate() is (error is None)
    if error:
        assert any(message.startswith(error[1]) for message in form.errors[error[0]])


def test_fields_of_a_sub_form_are_checked_too():
    phone = PhoneForm(MultiDict({"number": "0800 123 4567", "description": "Free\x00phone"}))
    assert not phone.validate()
    assert list(phone.errors) == ["description"]
    assert phone.errors["description"][0].startswith(
        f"What it is, for example: Freephone, 24 hours {CONTROL}")


def _form_classes() -> list[type]:
    """Every form class defined in the app (every module imported to find them)."""
    for module in pkgutil.walk_packages(inreach.__path__, "inreach."):
        importlib.import_module(module.name)
    found, waiting = set(), [wtforms.Form]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            waiting.append(subclass)
            if subclass.__module__.startswith("inreach.") and subclass not in (Form, FlaskForm):
                found.add(subclass)
    return sorted(found, key=lambda form: (form.__module__, form.__qualname__))


FORMS = _form_classes()


def test_the_app_has_forms_to_check():
    assert len(FORMS) >= 40


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: f"{form.__module__}."
                                                                f"{form.__qualname__}")
def test_every_form_is_built_on_the_guarded_base(form_class):
    assert issubclass(form_class, GuardedInput), (
        f"{form_class.__qualname__} must be built on inreach.fields.FlaskForm or Form, which "
        "refuse control characters and numbers too large for the database")


# Control characters in imports ---------------------------------------------------------------

def _oruk_item(**changes) -> dict:
    """A valid, minimal Open Referral UK service."""
    item = {"id": "service-1", "name": "Housing Help", "status": "active",
            "url": "https://example.org",
            "organization": {"id": "organisation-1", "name": "Fictional Trust"},
            "service_areas": [{"id": "area-1", "name": "Ealing"}],
            "attributes": [{"id": "attribute-1", "taxonomy_term": {
                "id": "term-1", "name": "Accommodation", "taxonomy": TAXONOMY}}]}
    return item | changes


DIRECTORY_CASES = [
    ({"name": "Housing\x00Help"}, f"Name {CONTROL}"),
    ({"description": "Line\x0cbreak"}, f"Description {CONTROL}"),
    ({"organization": {"id": "organisation-1", "name": "Fictional\nTrust"}},
     f"Organisation name {CONTROL}"),
    ({"service_areas": [{"id": "area-1", "name": "Eal\x00ing"}]}, f"Each area {CONTROL}"),
]


def test_imports_refuse_control_characters_and_keep_line_breaks_in_long_text(app_context):
    for changes, message in DIRECTORY_CASES:
        content = json.dumps([_oruk_item(**changes)]).encode()
        with pytest.raises(ImportRefused) as refused:
            directory_import.import_file(content, "directory.json", False, None)
        db.session.rollback()
        problems = refused.value.problems
        assert len(problems) == 1 and problems[0].startswith("Entry 1"), problems
        assert message in problems[0]
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    content = json.dumps([_oruk_item(description="Line one\r\nLine\ttwo")]).encode()
    directory_import.import_file(content, "directory.json", False, None)
    assert db.session.scalar(select(Service.description)) == "Line one\r\nLine\ttwo"

    header = "prison_number,first_name,last_name,release_date,notes\n"
    parsed = cohort_import.parse((header + 'A1234BC,"John\nPaul",Fictional,2031-01-01,'
                                           '"Two\nlines"\n').encode())
    values = parsed.rows[0][1]
    with pytest.raises(DomainError, match=f"first_name {CONTROL}"):
        cohort_import._details(values)
    values["first_name"] = "John"
    assert cohort_import._details(values).notes == "Two\nlines"
